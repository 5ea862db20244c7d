"""The job store on a real Redis: states only move forward and counts always add up."""

from __future__ import annotations

import threading

import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.schema import DocStatus, JobStatus

pytestmark = pytest.mark.integration


def _docs(n: int) -> list[NewDocument]:
    return [
        NewDocument(filename=f"f{i}.txt", raw_key=f"raw/c/{i}", sha256=str(i), size_bytes=1) for i in range(n)
    ]


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
    docs = [*_docs(1), NewDocument("big.txt", "", "", 10**9, rejected_reason="file too large")]
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
    ids = [new_id() for _ in range(5)]
    for rid in [*ids, ids[0], ids[2]]:  # republishing after a redelivery adds nothing
        store.publish_record(collection, rid, f"records/v1/{collection}/{rid}.json")
    page = store.feed(collection, None, 3)
    assert [rid for _, rid, _ in page] == ids[:3]
    rest = store.feed(collection, page[-1][0], 10)
    assert [rid for _, rid, _ in rest] == ids[3:]
    assert store.record_key(ids[4]) == f"records/v1/{collection}/{ids[4]}.json"
