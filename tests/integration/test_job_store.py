"""The job store on a real Redis: states only move forward and counts always add up."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import DocOutcome, JobStore, NewDocument, write_job_summary
from ingest_core.keys import RedisKeys, job_summary_key
from ingest_core.schema import DocStatus, JobStatus, JobView
from ingest_core.storage import ObjectStore

pytestmark = pytest.mark.integration


def _docs(n: int) -> list[NewDocument]:
    return [NewDocument(filename=f"f{i}.txt") for i in range(n)]


def _counts_add_up(store: JobStore, job_id: str) -> None:
    job = store.get_job(job_id)
    assert job is not None
    c = job.counts
    assert c.queued + c.processing + c.stored + c.duplicate + c.rejected + c.failed == c.total
    by_status = {s: sum(1 for d in job.documents if d.status == s) for s in DocStatus}
    assert by_status[DocStatus.stored] == c.stored
    assert by_status[DocStatus.queued] == c.queued


def test_a_new_job_has_every_document_queued(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    job_id = store.create_job("c", _docs(3))
    job = store.get_job(job_id)
    assert job is not None
    assert job.status == JobStatus.queued
    assert job.counts.total == job.counts.queued == 3
    assert [d.filename for d in job.documents] == ["f0.txt", "f1.txt", "f2.txt"]


def test_every_change_raises_the_version_read_with_the_job(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    docs = _docs(2)
    job_id = store.create_job("c", docs)
    versions = []
    for change in (
        lambda: None,
        lambda: store.finish(job_id, docs[0].doc_id, DocStatus.rejected, error="empty"),
        lambda: store.finish(job_id, docs[1].doc_id, DocStatus.rejected, error="empty"),
    ):
        change()
        found = store.get_versioned_job(job_id)
        assert found is not None and found[0] == store.get_job(job_id)
        versions.append(found[1])
    assert versions[0] < versions[1] < versions[2]
    assert store.get_versioned_job("no-such-job") is None


@pytest.mark.parametrize(
    ("documents", "limit"),
    [
        (_docs(3), 100),
        (_docs(5), 2),  # a first page, and a cursor to the rest
        (_docs(2), None),
        ([*_docs(2), NewDocument("big.txt", rejected_reason="file too large")], 100),
        ([NewDocument("big.txt", rejected_reason="file too large")], 100),  # failed at once
    ],
)
def test_a_registered_job_answers_what_reading_it_back_would(
    redis_client: redis.Redis[bytes], documents: list[NewDocument], limit: int | None
) -> None:
    store = JobStore(redis_client)
    registered = store.register_job("c", documents, limit=limit)
    assert registered == store.get_job(registered.id, limit=limit)


def test_start_reserves_one_record_id_across_redeliveries(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    docs = _docs(1)
    job_id = store.create_job("c", docs)
    first = store.start(job_id, docs[0].doc_id, new_id())
    second = store.start(job_id, docs[0].doc_id, new_id())
    assert first.go and second.go
    assert first.record_id == second.record_id
    assert (first.attempts, second.attempts) == (1, 2)
    job = store.get_job(job_id)
    assert job is not None and job.status == JobStatus.running
    assert job.counts.processing == 1 and job.counts.queued == 0


def test_a_finished_document_never_moves_back_or_counts_twice(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    docs = _docs(2)
    job_id = store.create_job("c", docs)
    store.start(job_id, docs[0].doc_id, new_id())
    assert store.finish(job_id, docs[0].doc_id, DocStatus.stored, record_id="r1").moved
    again = store.finish(job_id, docs[0].doc_id, DocStatus.failed, error="late duplicate delivery")
    assert not again.moved
    assert not store.start(job_id, docs[0].doc_id, new_id()).go
    job = store.get_job(job_id)
    assert job is not None
    assert job.documents[0].status == DocStatus.stored and job.documents[0].error is None
    assert job.counts.stored == 1
    _counts_add_up(store, job_id)


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([DocStatus.stored, DocStatus.duplicate], JobStatus.succeeded),
        ([DocStatus.stored, DocStatus.rejected], JobStatus.partially_failed),
        ([DocStatus.failed, DocStatus.rejected], JobStatus.failed),
    ],
)
def test_the_job_status_follows_its_documents(
    redis_client: redis.Redis[bytes], outcomes: list[DocStatus], expected: JobStatus
) -> None:
    store = JobStore(redis_client)
    docs = _docs(len(outcomes))
    job_id = store.create_job("c", docs)
    results = [store.finish(job_id, d.doc_id, status) for d, status in zip(docs, outcomes, strict=True)]
    assert [r.job_finished for r in results] == [False, True]
    job = store.get_job(job_id)
    assert job is not None and job.status == expected


def test_concurrent_finishes_of_the_same_documents_keep_counts_consistent(
    redis_client: redis.Redis[bytes],
) -> None:
    store = JobStore(redis_client)
    docs = _docs(50)
    job_id = store.create_job("c", docs)
    finished_flags: list[bool] = []

    def race(status: DocStatus) -> None:
        for doc in docs:
            finished_flags.append(store.finish(job_id, doc.doc_id, status).job_finished)

    threads = [threading.Thread(target=race, args=(s,)) for s in (DocStatus.stored, DocStatus.failed) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _counts_add_up(store, job_id)
    job = store.get_job(job_id)
    assert job is not None and job.counts.queued == 0
    assert finished_flags.count(True) == 1


def test_documents_refused_at_upload_start_rejected_with_their_reason(
    redis_client: redis.Redis[bytes],
) -> None:
    store = JobStore(redis_client)
    docs = [*_docs(1), NewDocument("big.txt", rejected_reason="file too large")]
    job_id = store.create_job("c", docs)
    job = store.get_job(job_id)
    assert job is not None
    assert job.counts.rejected == 1 and job.counts.queued == 1
    assert job.documents[1].error == "file too large"


def test_the_same_idempotency_key_with_another_body_is_a_conflict(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    key = new_id()
    assert store.claim_idempotency_key(key, "body-a", "job-1") is None
    assert store.claim_idempotency_key(key, "body-a", "job-2") == "job-1"
    with pytest.raises(ValueError, match="different request"):
        store.claim_idempotency_key(key, "body-b", "job-3")


def test_cancel_rejects_queued_documents_and_leaves_started_ones(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    docs = _docs(3)
    job_id = store.create_job("c", docs)
    store.start(job_id, docs[0].doc_id, new_id())
    job = store.cancel(job_id)
    assert job is not None and job.status == JobStatus.cancelled
    assert [d.status for d in job.documents] == [DocStatus.processing, DocStatus.rejected, DocStatus.rejected]
    store.finish(job_id, docs[0].doc_id, DocStatus.stored, record_id="r")
    job = store.get_job(job_id)
    assert job is not None and job.status == JobStatus.cancelled
    _counts_add_up(store, job_id)


def test_the_feed_lists_each_record_once_in_publication_order(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    collection = new_id().lower()
    docs = _docs(5)
    job_id = store.create_job(collection, docs)
    ids = [new_id() for _ in docs]

    def stored(index: int) -> DocOutcome:
        key = f"records/v1/{collection}/{ids[index]}.json"
        return DocOutcome(docs[index].doc_id, DocStatus.stored, record_id=ids[index], record_key=key)

    store.finish_many(job_id, collection, [stored(0), stored(1)])
    store.finish_many(job_id, collection, [stored(0), stored(2), stored(3), stored(4), stored(2)])
    page = store.feed(collection, None, 3)
    assert [rid for _, rid, _ in page] == ids[:3]
    rest = store.feed(collection, page[-1][0], 10)
    assert [rid for _, rid, _ in rest] == ids[3:]
    assert store.record_key(ids[4]) == f"records/v1/{collection}/{ids[4]}.json"
    _counts_add_up(store, job_id)


def _job_with_batches(
    store: JobStore, docs: int, per_batch: int, dispatch_by: float
) -> tuple[str, list[str]]:
    documents = _docs(docs)
    batches = [(new_id(), "{}") for _ in range(0, docs, per_batch)]
    job_id = store.create_job("c", documents, batches=batches, dispatch_by=dispatch_by)
    return job_id, [b for b, _ in batches]


def test_a_registered_batch_falls_due_unless_it_is_sent_and_only_one_watchdog_takes_it(
    redis_client: redis.Redis[bytes],
) -> None:
    store = JobStore(redis_client)
    now = time.time()
    _, [sent, orphan] = _job_with_batches(store, 4, 2, dispatch_by=now + 5)
    assert not {sent, orphan} & set(store.overdue_batches(now))
    store.mark_sent([sent], now + 900)
    later = now + 10
    assert orphan in store.overdue_batches(later) and sent not in store.overdue_batches(later)
    assert store.take_for_redispatch(orphan, later, later + 900) == "{}"
    assert store.take_for_redispatch(orphan, later, later + 900) is None  # a second watchdog
    assert orphan not in store.overdue_batches(later)


def test_a_claimed_batch_is_held_by_its_lease_and_released_when_done(
    redis_client: redis.Redis[bytes],
) -> None:
    store = JobStore(redis_client)
    now = time.time()
    job_id, [batch] = _job_with_batches(store, 2, 2, dispatch_by=now)
    docs = [d.id for d in store.get_job(job_id).documents]  # type: ignore[union-attr]
    verdicts = store.claim(job_id, docs, [new_id(), new_id()], batch_id=batch, lease_until=now + 15)
    assert verdicts is not None and all(v.go and v.attempts == 1 for v in verdicts)
    store.mark_sent([batch], now + 900)  # a late sender must not stretch the lease
    assert batch not in store.overdue_batches(now + 14)
    assert batch in store.overdue_batches(now + 16)  # the worker stopped renewing: it is orphaned
    outcomes = [DocOutcome(d, DocStatus.rejected, error="empty") for d in docs]
    store.finish_many(job_id, "c", outcomes, batch_id=batch, batch_done=True)
    assert batch not in store.overdue_batches(now + 10_000)
    assert store.claim(job_id, docs, [new_id(), new_id()], batch_id=batch) is None


def test_documents_page_by_cursor_and_filter_by_status(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client)
    docs = _docs(25)
    job_id = store.create_job("c", docs)
    store.finish_many(job_id, "c", [DocOutcome(d.doc_id, DocStatus.failed, error="x") for d in docs[::5]])
    seen, cursor = [], None
    while True:
        page = store.documents(job_id, limit=10, cursor=cursor)
        seen += [d.id for d in page.documents]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [d.doc_id for d in docs]
    failed: list[str] = []
    cursor = None
    while True:
        page = store.documents(job_id, limit=2, cursor=cursor, status=DocStatus.failed)
        failed += [d.id for d in page.documents]
        if (cursor := page.next_cursor) is None:
            break
    assert failed == [d.doc_id for d in docs[::5]]


def test_a_finished_job_awaits_its_summary_then_expires_from_redis(redis_client: redis.Redis[bytes]) -> None:
    store = JobStore(redis_client, RedisKeys(prefix=f"js-{new_id()}"))  # out of the workers' watchdogs' way
    docs = _docs(1)
    job_id = store.create_job("c", docs)
    assert store.finish(job_id, docs[0].doc_id, DocStatus.rejected, error="empty").job_finished
    assert job_id in store.overdue_summaries(time.time() + 1)
    store.summary_written(job_id, retention_seconds=600)
    assert job_id not in store.overdue_summaries(time.time() + 1)
    assert 0 < redis_client.ttl(store.keys.job(job_id)) <= 600
    assert 0 < redis_client.ttl(store.keys.doc(docs[0].doc_id)) <= 600


def _calls(client: redis.Redis[bytes], command: str) -> int:
    stats = client.info("commandstats").get(f"cmdstat_{command}", {})
    return int(stats.get("calls", 0))


def test_a_summary_reads_the_job_list_once_and_expires_every_document(
    redis_client: redis.Redis[bytes], object_store: ObjectStore
) -> None:
    store = JobStore(redis_client, RedisKeys(prefix=f"js-{new_id()}"))  # out of the workers' watchdogs' way
    docs = _docs(3)
    job_id = store.create_job("c", docs)
    store.finish_many(job_id, "c", [DocOutcome(d.doc_id, DocStatus.rejected, error="empty") for d in docs])
    lists_read = _calls(redis_client, "lrange")

    write_job_summary(store, object_store, job_id, retention_seconds=600)

    assert _calls(redis_client, "lrange") - lists_read == 1
    summary = JobView.model_validate_json(object_store.get(job_summary_key(job_id)))
    assert [d.id for d in summary.documents] == [d.doc_id for d in docs]
    assert all(0 < redis_client.ttl(store.keys.doc(d.doc_id)) <= 600 for d in docs)
    assert job_id not in store.overdue_summaries(time.time() + 1)
