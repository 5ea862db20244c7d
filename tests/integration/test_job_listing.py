"""Listing jobs newest first from the index in Redis: filters, cursors, and trimming of
entries whose job has expired."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from ingest_core.joblist import list_jobs
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import RedisKeys
from ingest_core.schema import DocStatus, JobStatus
from ingest_devstack.servers import ApiServer

pytestmark = pytest.mark.integration


@pytest.fixture
def store(redis_client: redis.Redis[bytes], collection: str) -> JobStore:
    """A job store under its own key prefix, so other tests' jobs are not listed."""
    return JobStore(redis_client, RedisKeys(prefix=f"list-{collection}"))


def _create(store: JobStore, collection: str, documents: int = 1) -> str:
    job_id = store.create_job(collection, [NewDocument(f"d{n}.txt") for n in range(documents)])
    time.sleep(0.002)  # distinct creation times
    return job_id


def test_jobs_are_listed_newest_first_with_their_counts(store: JobStore) -> None:
    ids = [_create(store, "news", documents=n + 1) for n in range(3)]
    page = list_jobs(store)
    assert [j.id for j in page.items] == ids[::-1]
    assert [j.counts.total for j in page.items] == [3, 2, 1]
    assert page.next is None


def test_a_cursor_pages_through_every_job_once(store: JobStore) -> None:
    ids = [_create(store, "news") for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        page = list_jobs(store, limit=3, cursor=cursor)
        seen += [j.id for j in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == ids[::-1]


def test_jobs_are_filtered_by_collection_status_and_creation_time(store: JobStore) -> None:
    old = _create(store, "news")
    middle = datetime.now(UTC)
    time.sleep(0.005)
    sport = _create(store, "sport")
    news = _create(store, "news")
    store.finish(news, store.documents(news).documents[0].id, DocStatus.stored, collection="news")
    assert [j.id for j in list_jobs(store, collection="news").items] == [news, old]
    assert [j.id for j in list_jobs(store, status=JobStatus.succeeded).items] == [news]
    assert [j.id for j in list_jobs(store, created_after=middle).items] == [news, sport]
    assert [j.id for j in list_jobs(store, created_before=middle).items] == [old]
    assert list_jobs(store, created_after=middle + timedelta(days=1)).items == []


def test_an_expired_job_leaves_the_listing_and_the_index(store: JobStore) -> None:
    kept, gone = _create(store, "news"), _create(store, "news")
    store.redis.delete(store.keys.job(gone))  # as when its retention ran out
    assert [j.id for j in list_jobs(store).items] == [kept]
    assert store.redis.zscore(store.keys.jobs_index(), gone) is None


def test_a_rare_filter_answers_a_short_page_with_a_cursor_to_go_on(store: JobStore) -> None:
    rare = _create(store, "rare")
    for _ in range(12):
        _create(store, "news")
    page = list_jobs(store, collection="rare", limit=1)
    assert page.items == [] and page.next is not None
    page = list_jobs(store, collection="rare", limit=1, cursor=page.next)
    assert [j.id for j in page.items] == [rare]


def test_get_jobs_over_http_lists_an_uploaded_job_and_refuses_a_forged_cursor(
    api: httpx.Client, collection: str
) -> None:
    job = api.post(
        "/v1/documents",
        files=[("files", ("a.txt", b"Short text.", "text/plain"))],
        data={"collection": collection},
    ).json()
    listing = api.get("/v1/jobs", params={"collection": collection}).json()
    assert [j["id"] for j in listing["items"]] == [job["id"]]
    assert "documents" not in listing["items"][0]
    assert api.get("/v1/jobs", params={"cursor": "nonsense"}).status_code == 400


@pytest.mark.parametrize(
    ("bound", "status"),
    [
        ("0001-01-01T00:00:00", 200),  # no zone: UTC, not the server's local time (year 0 there)
        ("0001-01-01T00:00:00+00:00", 200),
        ("0001-01-01T00:00:00+14:00", 422),  # before year 1 in UTC
        ("9999-12-31T23:59:59-14:00", 422),  # after year 9999 in UTC
    ],
)
def test_a_creation_bound_at_the_edge_of_the_calendar_is_an_answer_not_a_500(
    api_server: ApiServer, collection: str, bound: str, status: int
) -> None:
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        for name in ("created_after", "created_before"):
            answer = client.get("/v1/jobs", params={"collection": collection, name: bound})
            assert answer.status_code == status, answer.text
