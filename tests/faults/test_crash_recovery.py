"""Kill -9 at the worst moment: every accepted document still reaches a final state, once.

Each scenario runs its own Redis (with its append-only file, so it can be killed and started
again on its data), its own API and its own workers, on loopback, beside the suite's S3 server.
Recovery windows are shortened (lease 4 s, watchdog every 0.5 s) so the suite stays quick; the
same mechanism with the defaults recovers within 60 s.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from ingest_core.keys import RedisKeys, record_prefix
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_devstack.servers import ApiServer, RedisServer, SeaweedS3, Worker

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
FAST_RECOVERY = {
    "INGEST_BATCH_LEASE_SECONDS": "4",
    "INGEST_WATCHDOG_INTERVAL_SECONDS": "0.5",
    "INGEST_DISPATCH_GRACE_SECONDS": "2",
    "INGEST_BATCH_MAX_DOCUMENTS": "16",
}
FINAL = {"succeeded", "partially_failed", "failed", "cancelled"}


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt")))
    return [s.strip() for s in text.replace("\n", " ").split(". ") if len(s.split()) >= 6]


def articles_jsonl(count: int, seed: int) -> bytes:
    """``count`` articles of sentences drawn at random, each with its own figures."""
    rng = random.Random(seed)
    pool = _sentences()
    lines = []
    for number in range(count):
        paragraphs = [
            ". ".join(rng.sample(pool, 3)) + f". The figure reported was {rng.randint(10, 10**6)}."
            for _ in range(4)
        ]
        lines.append(json.dumps({"id": f"a{number}", "text": "\n\n".join(paragraphs)}))
    return ("\n".join(lines) + "\n").encode()


@dataclass
class FaultStack:
    """Redis, API and workers of one scenario; every process stopped by its PID at the end."""

    root: Path
    s3: SeaweedS3
    redis: RedisServer
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Any] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "INGEST_REDIS_URL": self.redis.url,
            **self.s3.client_env(),
            "INGEST_S3_BUCKET": "ingest-test",
            **FAST_RECOVERY,
            **self.extra_env,
        }

    def api(self, **env: str) -> ApiServer:
        server = ApiServer({**self.env, **env}, self.root / "logs")
        server.log_path = self.root / "logs" / f"api-{len(self.processes)}.log"
        server.start()
        self.processes.append(server)
        return server

    def worker(self, name: str) -> Worker:
        process = Worker(self.env, self.root / "logs", name=name, concurrency=2)
        process.start()
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.redis.stop()


@pytest.fixture
def fault_stack(tmp_path: Path, s3_server: SeaweedS3) -> Iterator[FaultStack]:
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    stack = FaultStack(tmp_path, s3_server, server)
    yield stack
    stack.stop()


def kill_worker(worker: Worker) -> None:
    """kill -9 of the pool processes and the main process, as when a machine's worker dies."""
    for pid in worker.child_pids():
        os.kill(pid, signal.SIGKILL)
    assert worker.process is not None
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(10)


def upload(api: ApiServer, collection: str, body: bytes, key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    files = {"files": ("batch.jsonl", body, "application/x-ndjson")}
    response = httpx.post(
        api.url + "/v1/documents", files=files, data={"collection": collection}, headers=headers, timeout=120
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def job_counts(api: ApiServer, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{api.url}/v1/jobs/{job_id}", params={"limit": 1}, timeout=30)
    job: dict[str, Any] = response.json()
    return job


def wait_until_done(api: ApiServer, job_id: str, at_least: int, *, while_processing: bool = False) -> None:
    """Until ``at_least`` documents are finished (and, optionally, a batch is in a worker's
    hands): the moment a fault is injected."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = job_counts(api, job_id)["counts"]
        if counts["stored"] + counts["duplicate"] >= at_least and (
            counts["processing"] or not while_processing
        ):
            return
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {at_least} finished documents")


def wait_final(api: ApiServer, job_id: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = httpx.get(f"{api.url}/v1/jobs/{job_id}", params={"wait": 2, "limit": 1}, timeout=30).json()
        if job["status"] in FINAL:
            return job
    raise AssertionError(f"job {job_id} not final within {within:.0f}s: {job.get('counts')}")


def assert_nothing_lost_or_doubled(
    stack: FaultStack, store: ObjectStore, job_id: str, collection: str, total: int
) -> None:
    client = redis.Redis.from_url(stack.redis.url)
    keys = RedisKeys()
    try:
        job = {k.decode(): v.decode() for k, v in client.hgetall(keys.job(job_id)).items()}
        counts = {
            name: int(job[name])
            for name in ("queued", "processing", "stored", "duplicate", "rejected", "failed")
        }
        assert int(job["total"]) == total and sum(counts.values()) == total, counts
        assert counts["queued"] == counts["processing"] == 0, counts
        assert counts["rejected"] == counts["failed"] == 0, counts
        doc_ids = [d.decode() for d in client.lrange(keys.job_docs(job_id), 0, -1)]
        statuses = [client.hget(keys.doc(d), "status") for d in doc_ids]
        assert all(s in {b"stored", b"duplicate"} for s in statuses)
        records = list(store.iter_keys(record_prefix(collection)))
        assert len(records) == counts["stored"], "exactly one record per stored document"
        feed = client.xrange(keys.feed(collection))
        assert len(feed) == counts["stored"], "every stored record in the feed, once"
        assert len({entry[1][b"id"] for entry in feed}) == counts["stored"]
    finally:
        client.close()


def test_a_job_whose_api_died_before_sending_its_tasks_finishes_and_a_retry_gets_it(
    fault_stack: FaultStack, object_store: ObjectStore, collection: str
) -> None:
    fault_stack.worker("w1")
    healthy = fault_stack.api()
    dying = fault_stack.api(INGEST_DEBUG_PAUSE_BEFORE_ENQUEUE_SECONDS="120")
    body, key = articles_jsonl(300, seed=1), f"idem-{collection}"
    attempt = threading.Thread(
        target=lambda: _swallow(lambda: upload(dying, collection, body, key)), daemon=True
    )
    attempt.start()
    client = redis.Redis.from_url(fault_stack.redis.url)
    keys = RedisKeys()
    deadline = time.monotonic() + 60
    job_id = None
    while time.monotonic() < deadline and job_id is None:
        claimed = client.get(keys.idempotency(key))
        if claimed and client.exists(keys.job(claimed.decode().rpartition(":")[2])):
            job_id = claimed.decode().rpartition(":")[2]
        time.sleep(0.05)
    assert job_id is not None, "the job was never registered"
    assert dying.process is not None
    os.kill(dying.process.pid, signal.SIGKILL)  # registered, tasks never sent
    assert client.llen("ingest") == 0, "no message reached the broker"
    client.close()
    started = time.monotonic()
    retried = upload(healthy, collection, body, key)
    assert retried["id"] == job_id, "the client's retry gets the same job"
    job = wait_final(healthy, job_id, within=60)
    assert time.monotonic() - started < 60
    assert job["status"] == "succeeded"
    assert_nothing_lost_or_doubled(fault_stack, object_store, job_id, collection, 300)


def test_a_worker_killed_with_its_pool_mid_batch_loses_nothing_and_the_rest_resume_promptly(
    fault_stack: FaultStack, object_store: ObjectStore, collection: str
) -> None:
    first = fault_stack.worker("w1")
    api = fault_stack.api()
    job_id = upload(api, collection, articles_jsonl(400, seed=2))["id"]
    wait_until_done(api, job_id, 40, while_processing=True)
    finished_before = _finished_documents(fault_stack, job_id)
    kill_worker(first)
    fault_stack.worker("w2")
    available = time.monotonic()
    job = wait_final(api, job_id, within=90)
    assert time.monotonic() - available < 90
    assert job["status"] == "succeeded"
    assert_nothing_lost_or_doubled(fault_stack, object_store, job_id, collection, 400)
    attempts = _attempts(fault_stack, finished_before)
    assert set(attempts) == {1}, "documents finished before the kill were not redone"


def test_redis_killed_and_restarted_on_its_data_mid_batch_loses_nothing(
    fault_stack: FaultStack, object_store: ObjectStore, collection: str
) -> None:
    fault_stack.worker("w1")
    api = fault_stack.api()
    job_id = upload(api, collection, articles_jsonl(400, seed=3))["id"]
    wait_until_done(api, job_id, 60)
    server = fault_stack.redis
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    time.sleep(1.0)
    restarted = RedisServer(server.data_dir, server.port, persistent=True)
    restarted.start()
    fault_stack.redis = restarted
    job = wait_final(api, job_id, within=120)
    assert job["status"] == "succeeded"
    assert_nothing_lost_or_doubled(fault_stack, object_store, job_id, collection, 400)


def _swallow(call: Any) -> None:
    try:
        call()
    except Exception:  # the API is killed under this request on purpose
        return


def _finished_documents(stack: FaultStack, job_id: str) -> list[str]:
    client = redis.Redis.from_url(stack.redis.url)
    keys = RedisKeys()
    try:
        doc_ids = [d.decode() for d in client.lrange(keys.job_docs(job_id), 0, -1)]
        return [d for d in doc_ids if client.hget(keys.doc(d), "status") in {b"stored", b"duplicate"}]
    finally:
        client.close()


def _attempts(stack: FaultStack, doc_ids: list[str]) -> list[int]:
    client = redis.Redis.from_url(stack.redis.url)
    keys = RedisKeys()
    try:
        return [int(client.hget(keys.doc(d), "attempts") or 0) for d in doc_ids]
    finally:
        client.close()


def test_s3_killed_and_restarted_on_its_data_mid_batch_loses_nothing(tmp_path: Path, collection: str) -> None:
    s3 = SeaweedS3(tmp_path / "own-s3", bucket="ingest-test")
    s3.start()
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    stack = FaultStack(tmp_path, s3, server)
    try:
        stack.worker("w1")
        api = stack.api()
        store = ObjectStore.from_settings(
            Settings(
                s3_endpoint_url=s3.endpoint,
                s3_access_key_id=s3.access_key,
                s3_secret_access_key=SecretStr(s3.secret_key),
                s3_bucket="ingest-test",
            )
        )
        job_id = upload(api, collection, articles_jsonl(300, seed=4))["id"]
        wait_until_done(api, job_id, 40)
        assert s3.process is not None
        os.kill(s3.process.pid, signal.SIGKILL)  # storage gone mid-batch: reads and record writes fail
        s3.process.wait(10)
        time.sleep(5)
        s3.start()  # the same ports and data: the stored uploads are still there
        job = wait_final(api, job_id, within=150)
        assert job["status"] == "succeeded"
        assert_nothing_lost_or_doubled(stack, store, job_id, collection, 300)
    finally:
        stack.stop()
        s3.stop()
