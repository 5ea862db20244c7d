"""The feed survives Redis: rebuilt from the bucket with the cursors consumers already hold."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis
from ulid import ULID

from ingest_core.feed import ensure_feed, rebuild_feed, stream_ids
from ingest_core.jobs import DocOutcome, JobStore, NewDocument
from ingest_core.keys import RedisKeys, record_key
from ingest_core.schema import DocStatus
from ingest_core.storage import ObjectStore

pytestmark = pytest.mark.integration

WaitJob = Callable[..., dict[str, Any]]


def _articles(count: int, seed: int) -> bytes:
    """JSON Lines of ``count`` articles that share no sentence (never near-duplicates)."""
    rng = random.Random(seed)
    words = [f"{a}{b}" for a in ("har", "mal", "por", "ven", "sol", "tri") for b in ("bor", "ta", "ex", "un")]
    lines = []
    for number in range(count):
        paragraphs = [
            " ".join(rng.choice(words) for _ in range(40)) + f" figure {rng.randint(10, 10**9)}."
            for _ in range(4)
        ]
        lines.append(
            json.dumps({"id": f"a{number}", "title": f"Story {number}", "text": "\n\n".join(paragraphs)})
        )
    return ("\n".join(lines) + "\n").encode()


def _store_articles(api: httpx.Client, collection: str, wait_job: WaitJob, count: int) -> list[str]:
    response = api.post(
        "/v1/documents",
        content=_articles(count, seed=int(collection[1:], 16) % 1000),
        headers={"Content-Type": "application/x-ndjson", "X-Filename": "batch.jsonl"},
        params={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    assert job["counts"]["stored"] == count, job["counts"]
    return [d["record_id"] for d in job["documents"]]


def _page(api: httpx.Client, collection: str, after: str | None, limit: int = 500) -> dict[str, Any]:
    params: dict[str, Any] = {"collection": collection, "limit": limit}
    if after:
        params["after"] = after
    response = api.get("/v1/records", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_a_consumer_resumes_after_the_stream_is_lost_missing_nothing_and_seeing_nothing_twice(
    api: httpx.Client, collection: str, wait_job: WaitJob, redis_client: redis.Redis[bytes]
) -> None:
    stored = _store_articles(api, collection, wait_job, 8)
    first = _page(api, collection, None, limit=3)
    before = stream_ids(redis_client, RedisKeys().feed(collection))
    assert len(before) == 8
    redis_client.delete(RedisKeys().feed(collection))
    rest = _page(api, collection, first["next"])  # rebuilt automatically before serving
    seen = _ids(first) + _ids(rest)
    assert len(seen) == len(set(seen)) == 8
    assert sorted(seen) == sorted(stored)
    assert stream_ids(redis_client, RedisKeys().feed(collection)) == before, "same ids, same order"
    assert _page(api, collection, rest["next"])["items"] == []


def test_the_rebuild_command_restores_the_same_cursors(
    api: httpx.Client,
    collection: str,
    wait_job: WaitJob,
    redis_client: redis.Redis[bytes],
    stack_env: dict[str, str],
) -> None:
    _store_articles(api, collection, wait_job, 5)
    first = _page(api, collection, None, limit=2)
    before = stream_ids(redis_client, RedisKeys().feed(collection))
    redis_client.delete(RedisKeys().feed(collection))
    done = subprocess.run(
        [sys.executable, "-m", "ingest_worker.feed", "rebuild", collection],
        env={**os.environ, **stack_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["records"] == 5 and report["kept_ids"] == 5 and report["new_ids"] == 0
    assert stream_ids(redis_client, RedisKeys().feed(collection)) == before
    rest = _page(api, collection, first["next"])
    assert set(_ids(rest)).isdisjoint(_ids(first)) and len(_ids(first) + _ids(rest)) == 5


# --- the job store's side, without the pipeline: out-of-order arrivals, losses mid-flight ------


class Records:
    """Documents of one job, their records put in the bucket, finished in any order we like."""

    def __init__(self, jobs: JobStore, store: ObjectStore, collection: str, count: int) -> None:
        self.jobs, self.store, self.collection = jobs, store, collection
        documents = [NewDocument(f"d{n}.txt") for n in range(count)]
        self.job_id = jobs.create_job(collection, documents)
        base = int(time.time() * 1000) - 5000
        candidates = [str(ULID.from_timestamp(base + n)) for n in range(count)]  # one ms apart
        verdicts = jobs.claim(self.job_id, [d.doc_id for d in documents], candidates)
        assert verdicts is not None
        self.doc_ids = [d.doc_id for d in documents]
        self.record_ids = [v.record_id for v in verdicts]
        assert self.record_ids == sorted(self.record_ids)

    def write(self, n: int) -> str:
        key = record_key(self.collection, self.record_ids[n])
        self.store.put(key, json.dumps({"id": self.record_ids[n], "collection": self.collection}).encode())
        return key

    def finish(self, *numbers: int) -> None:
        outcomes = [
            DocOutcome(
                self.doc_ids[n], DocStatus.stored, record_id=self.record_ids[n], record_key=self.write(n)
            )
            for n in numbers
        ]
        self.jobs.finish_many(self.job_id, self.collection, outcomes)


def _feed(jobs: JobStore, collection: str, after: str | None = None) -> list[tuple[str, str]]:
    return [(sid, rid) for sid, rid, _ in jobs.feed(collection, after, 1000)]


def test_records_finished_out_of_ulid_order_get_increasing_ids_that_a_rebuild_keeps(
    redis_client: redis.Redis[bytes], object_store: ObjectStore, collection: str
) -> None:
    jobs = JobStore(redis_client)
    records = Records(jobs, object_store, collection, 6)
    records.finish(3)
    records.finish(1, 0)  # late: ULIDs before the head
    records.finish(5, 4, 2)
    feed = _feed(jobs, collection)
    ids = [sid for sid, _ in feed]
    assert [rid for _, rid in feed] == [records.record_ids[n] for n in (3, 1, 0, 5, 4, 2)]
    parsed = [tuple(int(p) for p in sid.split("-")) for sid in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 6, "strictly increasing"
    ms3 = ULID.from_str(records.record_ids[3]).milliseconds
    assert ids[:3] == [f"{ms3}-0", f"{ms3}-1", f"{ms3}-2"], "late records follow the head"
    cursor = ids[2]  # a consumer has read 3, 1, 0
    redis_client.delete(jobs.keys.feed(collection))
    report = ensure_feed(jobs, object_store, collection)
    assert report is not None and report.kept_ids == 6
    assert _feed(jobs, collection) == feed
    assert [rid for _, rid in _feed(jobs, collection, cursor)] == [records.record_ids[n] for n in (5, 4, 2)]


def test_a_record_finished_while_the_stream_was_missing_is_kept_and_readers_never_see_a_partial_feed(
    redis_client: redis.Redis[bytes], object_store: ObjectStore, collection: str
) -> None:
    jobs = JobStore(redis_client)
    records = Records(jobs, object_store, collection, 4)
    records.finish(0, 1)
    ensure_feed(jobs, object_store, collection)  # a new collection is verified once
    cursor = _feed(jobs, collection)[-1][0]
    redis_client.delete(jobs.keys.feed(collection))
    records.finish(3)  # lands in a fresh stream: flagged for the readers
    assert redis_client.exists(jobs.keys.feed_check(collection))
    report = ensure_feed(jobs, object_store, collection)
    assert report is not None and report.records == 3
    records.finish(2)
    assert [rid for _, rid in _feed(jobs, collection, cursor)] == [records.record_ids[n] for n in (3, 2)]
    assert ensure_feed(jobs, object_store, collection) is None, "nothing to do any more"


def test_a_record_in_the_bucket_whose_worker_has_not_finished_is_fed_once(
    redis_client: redis.Redis[bytes], object_store: ObjectStore, collection: str
) -> None:
    jobs = JobStore(redis_client)
    records = Records(jobs, object_store, collection, 3)
    records.finish(1)
    cursor = _feed(jobs, collection)[-1][0]
    records.write(0)  # written, not yet finished (the worker is slow)
    report = rebuild_feed(jobs, object_store, collection)
    assert report.new_ids == 1 and report.kept_ids == 1
    records.finish(0, 2)  # 0 is in the feed already: not added again
    after = [rid for _, rid in _feed(jobs, collection, cursor)]
    assert after == [records.record_ids[0], records.record_ids[2]]


def test_after_redis_lost_everything_records_that_arrived_in_order_keep_their_cursors(
    redis_client: redis.Redis[bytes], object_store: ObjectStore, collection: str
) -> None:
    jobs = JobStore(redis_client)
    records = Records(jobs, object_store, collection, 5)
    for n in range(5):
        records.finish(n)
    feed = _feed(jobs, collection)
    keys = jobs.keys
    redis_client.delete(
        keys.feed(collection),
        keys.feed_head(collection),
        keys.feed_check(collection),
        *[keys.feed_marker(rid) for rid in records.record_ids],
    )
    report = ensure_feed(jobs, object_store, collection)  # found through the bucket
    assert report is not None and report.new_ids == 5
    assert _feed(jobs, collection) == feed
