"""The watchdog on a real Redis: overdue batches are sent again, unreadable ones set aside."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import RedisKeys
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import BatchDocument, BatchMessage, Locator
from ingest_worker.watchdog import Watchdog

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
