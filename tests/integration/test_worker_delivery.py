"""At-least-once delivery: a batch run twice, or a worker process killed mid-batch, loses and
duplicates nothing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_core.ids import new_id
from ingest_core.keys import record_prefix
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import BatchMessage, Locator
from ingest_devstack.servers import Worker
from ingest_worker.tasks import build_runtime, run_batch

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
ARTICLE = (SAMPLES / "000_db929eefe4fa1c71.txt").read_bytes()
OTHER = (SAMPLES / "001_97712b54962e7890.txt").read_bytes()


def test_a_batch_interrupted_after_claiming_and_run_again_stores_each_record_once(
    stack_settings: Settings,
    object_store: ObjectStore,
    collection: str,
    enqueue_directly: Callable[..., BatchMessage],
) -> None:
    rt = build_runtime(stack_settings)
    msg = enqueue_directly(ARTICLE, OTHER)
    ids = [d.doc_id for d in msg.documents]
    # The first delivery claims the batch and reserves record ids, then "dies".
    first = rt.jobs.claim(msg.job_id, ids, [new_id(), new_id()], batch_id=msg.batch_id)
    assert first is not None
    # The delivery sent again runs to the end; a third finds the batch finished.
    assert run_batch(msg, rt) == "done"
    assert run_batch(msg, rt) == "skipped"
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None
    assert [d.record_id for d in job.documents] == [v.record_id for v in first]
    assert [d.attempts for d in job.documents] == [2, 2]
    assert job.counts.stored == 2 and job.counts.total == 2
    assert len(object_store.list_after(record_prefix(collection))) == 2
    assert [rid for _, rid, _ in rt.jobs.feed(collection, None, 10)] == [v.record_id for v in first]


def test_a_missing_upload_fails_its_documents_with_a_reason(
    stack_settings: Settings, collection: str, enqueue_directly: Callable[..., BatchMessage]
) -> None:
    rt = build_runtime(stack_settings)
    msg = enqueue_directly(ARTICLE)
    gone = Locator(raw_key=f"raw/{collection}/missing", length=len(ARTICLE))
    msg.documents[0].locator = gone
    assert run_batch(msg, rt) == "done"
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.status == "failed"
    assert "missing" in (job.documents[0].error or "")


def test_killing_a_worker_process_mid_batch_loses_no_document(
    api: httpx.Client, worker: Worker, collection: str, wait_job: Callable[..., dict[str, Any]]
) -> None:
    text = ARTICLE.decode()
    files = [
        ("files", (f"n{i}.txt", f"Edition {i}: {text[i * 13 :]}".encode(), "text/plain")) for i in range(40)
    ]
    job_id = api.post("/v1/documents", files=files, data={"collection": collection}).json()["id"]
    deadline = time.monotonic() + 30
    killed = 0
    while time.monotonic() < deadline and killed < 2:
        job = api.get(f"/v1/jobs/{job_id}").json()
        if job["counts"]["processing"]:
            for pid in worker.child_pids()[:1]:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            time.sleep(0.3)
        if job["status"] not in {"queued", "running"}:
            break
        time.sleep(0.02)
    job = wait_job(api, job_id, timeout=120)
    counts = job["counts"]
    assert counts["total"] == 40
    assert counts["stored"] + counts["duplicate"] == 40, job
    assert sum(counts[s] for s in ("queued", "processing", "stored", "duplicate", "rejected", "failed")) == 40
    assert worker.running()
