"""Storage faults during a batch: sent again with back-off, then recorded as failed, never lost."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from botocore.exceptions import EndpointConnectionError

from ingest_core.schema import DocStatus
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore, PutResult
from ingest_core.tasks import BatchMessage
from ingest_worker.tasks import Runtime, build_runtime, run_batch

pytestmark = pytest.mark.integration

ARTICLE = (
    Path(__file__).resolve().parents[3] / "shared" / "samples" / "000_db929eefe4fa1c71.txt"
).read_bytes()


class FlakyStore(ObjectStore):
    """The real bucket, but the first ``failures`` reads fail as if S3 were unreachable."""

    def __init__(self, inner: ObjectStore, failures: int) -> None:
        super().__init__(inner.client, inner.bucket)
        self.failures = failures
        self.reads = 0

    def get_range(self, key: str, start: int, end: int) -> bytes:
        self.reads += 1
        if self.reads <= self.failures:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return super().get_range(key, start, end)


def _runtime(settings: Settings, failures: int, max_retries: int = 5) -> tuple[Runtime, FlakyStore]:
    rt = build_runtime(settings.model_copy(update={"task_max_retries": max_retries}))
    flaky = FlakyStore(rt.store, failures)
    rt.store = flaky
    return rt, flaky


def _deliveries(msg: BatchMessage, rt: Runtime, most: int) -> list[str]:
    """Runs the batch as the watchdog would send it again, until it is done."""
    results = []
    for _ in range(most):
        results.append(run_batch(msg, rt))
        if results[-1] != "retry":
            break
    return results


def test_a_passing_storage_outage_backs_off_and_the_batch_is_sent_again_until_stored(
    stack_settings: Settings, enqueue_directly: Callable[..., BatchMessage]
) -> None:
    rt, flaky = _runtime(stack_settings, failures=2)
    msg = enqueue_directly(ARTICLE)
    before = time.time()
    assert run_batch(msg, rt) == "retry"
    due = rt.redis.zscore(rt.jobs.keys.batches_due(), msg.batch_id)
    assert due is not None and due >= before + 2  # a back-off, then the watchdog sends it
    assert rt.jobs.last_error(msg.documents[0].doc_id) is not None
    assert _deliveries(msg, rt, most=5) == ["retry", "done"]
    assert flaky.reads == 3
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.documents[0].status == DocStatus.stored
    assert job.documents[0].attempts == 3


def test_a_lasting_storage_outage_fails_the_documents_with_the_attempt_count(
    stack_settings: Settings, enqueue_directly: Callable[..., BatchMessage]
) -> None:
    rt, _ = _runtime(stack_settings, failures=100, max_retries=2)
    msg = enqueue_directly(ARTICLE, ARTICLE + b" Updated.")
    assert _deliveries(msg, rt, most=5) == ["retry", "retry", "done"]
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.status == "failed"
    for doc in job.documents:
        assert doc.status == DocStatus.failed and doc.attempts == 3
        assert "gave up after 3 attempts" in (doc.error or "")
    assert rt.jobs.overdue_batches(time.time() + 10_000).count(msg.batch_id) == 0


class BrokenStore(ObjectStore):
    """The real bucket, but every record write fails as no retry can mend (a bug, a bad request)."""

    def put_if_absent(self, key: str, body: bytes | IO[bytes], **kwargs: Any) -> PutResult:
        raise ValueError("the store refuses this write for good")


def test_a_lasting_error_that_is_no_outage_fails_the_documents_instead_of_looping(
    stack_settings: Settings, enqueue_directly: Callable[..., BatchMessage]
) -> None:
    rt = build_runtime(stack_settings.model_copy(update={"task_max_retries": 1}))
    rt.store = BrokenStore(rt.store.client, rt.store.bucket)
    msg = enqueue_directly(ARTICLE)
    assert _deliveries(msg, rt, most=5) == ["retry", "done"]
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.status == "failed"
    assert "gave up after 2 attempts: ValueError" in (job.documents[0].error or "")


class SummaryOutage(ObjectStore):
    """The real bucket, but job summaries cannot be written (S3 fails just then)."""

    def put(self, key: str, body: bytes, *, content_type: str = "application/json") -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def test_a_summary_that_could_not_be_written_reaches_the_bucket_through_the_watchdog(
    stack_settings: Settings, object_store: ObjectStore, enqueue_directly: Callable[..., BatchMessage]
) -> None:
    from ingest_core.keys import job_summary_key
    from ingest_worker.watchdog import Watchdog

    rt = build_runtime(stack_settings)
    rt.store = SummaryOutage(rt.store.client, rt.store.bucket)
    msg = enqueue_directly(ARTICLE)
    assert run_batch(msg, rt) == "done"  # the job finished; its summary write failed
    assert not object_store.exists(job_summary_key(msg.job_id))
    later = time.time() + 60
    assert msg.job_id in rt.jobs.overdue_summaries(later)

    class NoSender:
        def send_task(self, name: str, args: Any = None, **options: Any) -> None:
            raise AssertionError("nothing to resend")

    quiet = stack_settings.model_copy(update={"export_compaction_enabled": False})
    swept = Watchdog(quiet, NoSender(), rt.jobs, object_store).sweep(later)
    assert swept.summaries >= 1
    assert b'"status":"succeeded"' in object_store.get(job_summary_key(msg.job_id)).replace(b" ", b"")
    assert msg.job_id not in rt.jobs.overdue_summaries(later)
