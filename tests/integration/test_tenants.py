"""Tenants over real HTTP: each sees only its own jobs, records, feed and idempotency keys;
keys may be limited to collections; per-key rates answer 429 and a full queue 503, both with
Retry-After, which the Python client waits out."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ingest_client import client as client_module
from ingest_client.client import IngestClient
from ingest_core.keys import record_key, tenant_collection
from ingest_core.storage import ObjectStore
from ingest_core.tasks import QUEUE
from ingest_devstack.servers import ApiServer, RedisServer, Worker

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
ARTICLE = (SAMPLES / "000_db929eefe4fa1c71.txt").read_bytes()
TENANTS = [
    {"name": "acme", "keys": ["acme-key", {"key": "acme-news", "collections": ["news"]}]},
    {"name": "beta", "keys": ["beta-key"]},
    {"name": "slow", "keys": [{"key": "slow-key", "requests_per_minute": 30}]},
    {"name": "few", "keys": ["few-key"], "documents_per_minute": 3},
]


@pytest.fixture(scope="module")
def tenant_server(stack_env: dict[str, str], servers_dir: Path, worker: Worker) -> Iterator[ApiServer]:
    """An API of its own with tenants (and the old INGEST_API_KEYS), on the session's backends."""
    env = {**stack_env, "INGEST_TENANTS": json.dumps(TENANTS), "INGEST_API_KEYS": '["legacy"]'}
    server = ApiServer(env, servers_dir / "logs-tenants")
    server.start()
    yield server
    server.stop()


Connect = Callable[[str], httpx.Client]


@pytest.fixture
def as_tenant(tenant_server: ApiServer) -> Iterator[Connect]:
    """``as_tenant(key)``: an HTTP client of the tenant API sending that key."""
    clients: list[httpx.Client] = []

    def connect(key: str) -> httpx.Client:
        client = httpx.Client(base_url=tenant_server.url, timeout=30, headers={"X-API-Key": key})
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


def upload(
    client: httpx.Client, collection: str, body: bytes = ARTICLE, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(
        "/v1/documents",
        files=[("files", ("story.txt", body, "text/plain"))],
        data={"collection": collection},
        headers=headers,
    )


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", params={"wait": 5}).json()
        if job["status"] in {"succeeded", "partially_failed", "failed", "cancelled"}:
            return job
    raise AssertionError(f"job {job_id} did not finish within {timeout}s: {job}")


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def test_another_tenants_job_is_404_for_status_events_and_cancel(as_tenant: Connect, collection: str) -> None:
    acme, beta = as_tenant("acme-key"), as_tenant("beta-key")
    job = accepted(upload(acme, collection))
    missing = beta.get(f"/v1/jobs/{uuid.uuid4().hex}")
    assert missing.status_code == 404
    for method, path in [
        ("GET", f"/v1/jobs/{job['id']}"),
        ("GET", f"/v1/jobs/{job['id']}?wait=1"),
        ("GET", f"/v1/jobs/{job['id']}/events"),
        ("DELETE", f"/v1/jobs/{job['id']}"),
    ]:
        response = beta.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        # Exactly as for a job that does not exist.
        assert response.json() == {
            "error": {"code": "not_found", "message": f"no job {job['id']}", "details": {"job_id": job["id"]}}
        }
    finished = wait_for_job(acme, job["id"])
    assert finished["status"] == "succeeded"  # beta's DELETE cancelled nothing
    assert finished["collection"] == collection
    # Once finished, the job's summary in the bucket is no more beta's than its Redis state.
    assert beta.get(f"/v1/jobs/{job['id']}").status_code == 404


def test_the_same_article_is_stored_for_each_tenant_and_records_and_feeds_stay_apart(
    as_tenant: Connect, collection: str, object_store: ObjectStore
) -> None:
    acme, beta, legacy = as_tenant("acme-key"), as_tenant("beta-key"), as_tenant("legacy")
    jobs = {name: accepted(upload(client, collection)) for name, client in [("acme", acme), ("beta", beta)]}
    docs = {
        name: wait_for_job(as_tenant(f"{name}-key"), job["id"])["documents"][0] for name, job in jobs.items()
    }
    # Not a duplicate of the other tenant's record: each tenant has its own dedup index.
    assert [docs["acme"]["status"], docs["beta"]["status"]] == ["stored", "stored"], docs
    assert docs["acme"]["duplicate_of"] is None and docs["beta"]["duplicate_of"] is None
    acme_id, beta_id = docs["acme"]["record_id"], docs["beta"]["record_id"]
    assert acme_id != beta_id

    # A tenant reads its own record under its own collection name…
    record = acme.get(f"/v1/records/{acme_id}")
    assert record.status_code == 200, record.text
    assert record.json()["collection"] == collection
    # …stored under its internal name, apart from the other tenant's.
    assert object_store.exists(record_key(tenant_collection("acme", collection), acme_id))
    # …and the other tenant's is 404, as if it did not exist, also when naming the collection.
    for path in (f"/v1/records/{acme_id}", f"/v1/records/{acme_id}?collection={collection}"):
        response = beta.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["message"] == f"no record {acme_id}"

    # Feeds of the same collection name: each tenant sees its own records only.
    def feed_ids(client: httpx.Client) -> list[str]:
        page = client.get("/v1/records", params={"collection": collection})
        assert page.status_code == 200, page.text
        assert all(item["collection"] == collection for item in page.json()["items"])
        return [item["id"] for item in page.json()["items"]]

    assert feed_ids(acme) == [acme_id]
    assert feed_ids(beta) == [beta_id]
    assert feed_ids(legacy) == []  # the default tenant's collection of that name is its own

    # The default tenant keeps the plain layout: the same article is new there too.
    own = wait_for_job(legacy, accepted(upload(legacy, collection))["id"])["documents"][0]
    assert own["status"] == "stored", own
    assert object_store.exists(record_key(collection, own["record_id"]))
    assert feed_ids(legacy) == [own["record_id"]]


def test_the_same_idempotency_key_from_two_tenants_makes_two_jobs(
    as_tenant: Connect, collection: str
) -> None:
    acme, beta = as_tenant("acme-key"), as_tenant("beta-key")
    key = f"idem-{uuid.uuid4().hex}"
    first = accepted(upload(acme, collection, headers={"Idempotency-Key": key}))
    other = accepted(upload(beta, collection, headers={"Idempotency-Key": key}))
    again = accepted(upload(acme, collection, headers={"Idempotency-Key": key}))
    assert other["id"] != first["id"]
    assert again["id"] == first["id"]
    assert other["collection"] == first["collection"] == collection
    for client, job in ((acme, first), (beta, other)):
        wait_for_job(client, job["id"])


def test_a_key_limited_to_news_gets_403_elsewhere(as_tenant: Connect, collection: str) -> None:
    news_only, acme = as_tenant("acme-news"), as_tenant("acme-key")
    refused = upload(news_only, "sports")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "forbidden"
    assert news_only.get("/v1/records", params={"collection": "sports"}).status_code == 403
    # A job of its tenant in another collection is the tenant's, but not this key's to see.
    other = accepted(upload(acme, collection))
    assert news_only.get(f"/v1/jobs/{other['id']}").status_code == 403
    assert news_only.get("/v1/records", params={"collection": "news"}).status_code == 200
    wait_for_job(acme, other["id"])


def test_a_tiny_request_rate_answers_429_with_retry_after_and_the_client_waits_it_out(
    as_tenant: Connect, tenant_server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = as_tenant("slow-key")
    for _ in range(100):  # 30 a minute, refilled at one every two seconds
        response = slow.get("/v1/schema/record")
        if response.status_code != 200:
            break
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) in {1, 2}
    error = response.json()["error"]
    assert error["code"] == "too_many_requests"
    assert error["details"] == {"limit": 30, "per": "minute", "kind": "requests"}
    # Other keys are not slowed down.
    assert as_tenant("beta-key").get("/v1/schema/record").status_code == 200

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(client_module, "_sleep", sleep)
    while slow.get("/v1/schema/record").status_code == 200:  # empty the bucket again
        pass
    with IngestClient(tenant_server.url, api_key="slow-key", max_retries=3) as client:
        page = client.records(collection="news")
    assert page["items"] == []
    assert slept and slept[0] in {1.0, 2.0}  # the server's Retry-After, not a back-off


def test_a_tiny_document_rate_answers_429_and_an_upload_over_a_minutes_worth_413(
    as_tenant: Connect, collection: str
) -> None:
    few = as_tenant("few-key")
    first = accepted(upload(few, collection))  # one of three documents a minute
    many = few.post(
        "/v1/documents",
        files=[("files", (f"{n}.txt", ARTICLE + str(n).encode(), "text/plain")) for n in range(3)],
        data={"collection": collection},
    )
    assert many.status_code == 429, many.text
    assert int(many.headers["Retry-After"]) >= 1
    assert many.json()["error"]["details"]["kind"] == "documents"
    too_many = few.post(
        "/v1/documents",
        files=[("files", (f"{n}.txt", ARTICLE, "text/plain")) for n in range(4)],
        data={"collection": collection},
    )
    assert too_many.status_code == 413, too_many.text
    wait_for_job(few, first["id"])


# --- the queue bound --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idle_broker(redis_server: RedisServer) -> Iterator[redis.Redis[bytes]]:
    """A broker database no worker reads: the queue holds what the test puts there."""
    client = redis.Redis.from_url(redis_server.url.removesuffix("/0") + "/13")
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()


@pytest.fixture(scope="module")
def bounded_server(
    stack_env: dict[str, str], servers_dir: Path, idle_broker: redis.Redis[bytes], redis_server: RedisServer
) -> Iterator[ApiServer]:
    env = {
        **stack_env,
        "INGEST_BROKER_URL": redis_server.url.removesuffix("/0") + "/13",
        "INGEST_MAX_QUEUE_DEPTH": "2",
        "INGEST_QUEUE_FULL_RETRY_AFTER_SECONDS": "1",
    }
    server = ApiServer(env, servers_dir / "logs-bounded")
    server.start()
    yield server
    server.stop()


def test_a_queue_deeper_than_the_bound_answers_503_and_the_client_waits_it_out(
    bounded_server: ApiServer,
    idle_broker: redis.Redis[bytes],
    collection: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    idle_broker.delete(QUEUE)
    idle_broker.rpush(QUEUE, b"a", b"b", b"c")
    with httpx.Client(base_url=bounded_server.url, timeout=30) as http:
        refused = upload(http, collection)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "queue_full"

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:  # the queue drains while the client waits
            idle_broker.delete(QUEUE)
        time.sleep(seconds)

    monkeypatch.setattr(client_module, "_sleep", sleep)
    with IngestClient(bounded_server.url, max_retries=5) as client:
        jobs = client.submit([("story.txt", ARTICLE)], collection=collection)
    assert len(jobs) == 1 and jobs[0]["id"]
    assert slept[:2] == [1.0, 1.0]
    assert idle_broker.llen(QUEUE) == 1  # the accepted job's batch


def test_without_keys_the_bounded_service_stays_open(bounded_server: ApiServer) -> None:
    with httpx.Client(base_url=bounded_server.url, timeout=30) as http:
        assert http.get("/v1/schema/record").status_code == 200


def test_job_listings_and_exports_show_only_the_callers_tenant(as_tenant: Connect, collection: str) -> None:
    acme, beta = as_tenant("acme-key"), as_tenant("beta-key")
    acme_job = wait_for_job(acme, accepted(upload(acme, collection))["id"])
    beta_job = wait_for_job(beta, accepted(upload(beta, collection, ARTICLE + b" Beta's copy."))["id"])
    listed = beta.get("/v1/jobs", params={"collection": collection}).json()["items"]
    assert [item["id"] for item in listed] == [beta_job["id"]]
    assert listed[0]["collection"] == collection  # the tenant's own name, not the internal one
    everything = [item["id"] for item in beta.get("/v1/jobs", params={"limit": 500}).json()["items"]]
    assert acme_job["id"] not in everything and beta_job["id"] in everything
    export = beta.post("/v1/exports", json={"collection": collection, "format": "jsonl.gz"})
    assert export.status_code == 202, export.text
    assert export.json()["collection"] == collection
    assert acme.get(f"/v1/exports/{export.json()['id']}").status_code == 404
    assert acme.get(f"/v1/exports/{export.json()['id']}/files/0").status_code == 404
    deadline = time.monotonic() + 60
    view = export.json()
    while view["status"] not in {"succeeded", "failed"} and time.monotonic() < deadline:
        time.sleep(0.3)
        view = beta.get(f"/v1/exports/{view['id']}").json()
    assert view["status"] == "succeeded" and view["rows"] == 1, view
    assert (
        as_tenant("acme-news")
        .post("/v1/exports", json={"collection": "sports", "format": "parquet"})
        .status_code
        == 403
    )
