"""The watchdog on a real Redis: overdue batches are sent again, unreadable ones set aside, and
finished jobs' summaries are written to the bucket."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from botocore.exceptions import EndpointConnectionError

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import RedisKeys, job_summary_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import BatchDocument, BatchMessage, Locator
from ingest_worker.watchdog import SUMMARY_CHUNK, SUMMARY_GRACE_SECONDS, SUMMARY_HOLD_SECONDS, Watchdog

pytestmark = pytest.mark.integration


class _Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def send_task(self, name: str, args: Any = None, **options: Any) -> None:
        self.sent.append((name, args[0]))


@pytest.fixture
def jobs(redis_client: redis.Redis[bytes]) -> JobStore:
    """A store under a prefix of its own: no other test's batches fall due here."""
    return JobStore(redis_client, RedisKeys(prefix=f"wd-{new_id()}"))


def _watchdog(settings: Settings, jobs: JobStore, store: ObjectStore, sender: _Sender) -> Watchdog:
    quiet = settings.model_copy(update={"export_compaction_enabled": False})
    return Watchdog(quiet, sender, jobs, store)


def test_an_unreadable_batch_message_is_parked_once_not_retried_forever(
    jobs: JobStore, stack_settings: Settings, object_store: ObjectStore
) -> None:
    doc = NewDocument(filename="a.txt")
    good, broken = new_id(), new_id()
    locator = Locator(raw_key="raw/a", length=1)
    documents = [BatchDocument(doc_id=doc.doc_id, locator=locator)]
    message = BatchMessage(batch_id=good, job_id="j", collection="default", documents=documents)
    readable = message.model_dump_json()
    jobs.create_job("default", [doc], batches=[(good, readable), (broken, "{}")], dispatch_by=time.time() - 1)
    sender = _Sender()
    watchdog = _watchdog(stack_settings, jobs, object_store, sender)

    first = watchdog.sweep(time.time() + 1)
    later = watchdog.sweep(time.time() + 10 * stack_settings.sent_timeout_seconds)

    assert first.resent == 1 and len(sender.sent) >= 1
    assert all(BatchMessage.model_validate(args).batch_id == good for _, args in sender.sent)
    assert later.resent == 1  # the readable one again, after its deadline; never the broken one
    assert jobs.redis.zscore(jobs.keys.batches_due(), broken) is None
    assert jobs.redis.sismember(jobs.keys.batches_parked(), broken)
    parked = jobs.redis.hgetall(jobs.keys.batch(broken))
    assert parked[b"state"] == b"parked"
    assert parked[b"message"] == b"{}"  # kept for an operator to repair
    assert b"unreadable batch message" in parked[b"parked_reason"]


class _SummaryOutage(ObjectStore):
    """The real bucket, but job summaries cannot be written (S3 fails just then)."""

    def put(self, key: str, body: bytes, *, content_type: str = "application/json") -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def _finished_jobs(jobs: JobStore, n: int) -> list[str]:
    """Jobs finished at upload (their one document refused) whose summaries no worker wrote."""
    return [
        jobs.create_job("default", [NewDocument("a.txt", rejected_reason="empty file")]) for _ in range(n)
    ]


def test_every_overdue_summary_is_written_by_one_sweep_in_chunks(
    jobs: JobStore, stack_settings: Settings, object_store: ObjectStore
) -> None:
    job_ids = _finished_jobs(jobs, SUMMARY_CHUNK + 3)  # more than one chunk of a sweep
    watchdog = _watchdog(stack_settings, jobs, object_store, _Sender())

    early = watchdog.sweep(time.time() + 1)  # within the grace: the finishing worker's to write
    assert early.summaries == 0 and not object_store.exists(job_summary_key(job_ids[0]))
    swept = watchdog.sweep(time.time() + SUMMARY_GRACE_SECONDS + 1)

    assert swept.summaries == len(job_ids)
    for job_id in (job_ids[0], job_ids[-1]):
        summary = json.loads(object_store.get(job_summary_key(job_id)))
        assert summary["id"] == job_id and summary["counts"]["rejected"] == 1
    assert jobs.overdue_summaries(time.time() + 3600) == []
    assert 0 < jobs.redis.ttl(jobs.keys.job(job_ids[0])) <= stack_settings.job_retention_seconds


def test_a_summary_whose_write_failed_is_held_then_written_by_a_later_sweep(
    jobs: JobStore, stack_settings: Settings, object_store: ObjectStore
) -> None:
    (job_id,) = _finished_jobs(jobs, 1)
    now = time.time() + SUMMARY_GRACE_SECONDS + 1
    broken = _SummaryOutage(object_store.client, object_store.bucket)

    failed = _watchdog(stack_settings, jobs, broken, _Sender()).sweep(now)
    held = _watchdog(stack_settings, jobs, object_store, _Sender()).sweep(now + 1)
    later = _watchdog(stack_settings, jobs, object_store, _Sender()).sweep(now + SUMMARY_HOLD_SECONDS + 1)

    assert failed.summaries == 0 and held.summaries == 0  # taken, so no other sweep writes it twice
    assert later.summaries == 1
    assert json.loads(object_store.get(job_summary_key(job_id)))["status"] == "failed"
    assert job_id not in jobs.overdue_summaries(now + 3600)
