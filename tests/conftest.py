"""Real servers for the suite: started once per session on free loopback ports, stopped by PID.

Fixtures are lazy: a unit-test run that asks for none of them starts nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import raw_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import BatchDocument, BatchMessage, Locator
from ingest_devstack.servers import ApiServer, RedisServer, SeaweedS3, Worker

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def redis_server(servers_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(servers_dir / "redis", persistent=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(servers_dir: Path) -> Iterator[SeaweedS3]:
    server = SeaweedS3(servers_dir / "s3", bucket="ingest-test")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack_env(redis_server: RedisServer, s3_server: SeaweedS3) -> dict[str, str]:
    """Environment that points every service at the suite's own servers."""
    return {
        "INGEST_REDIS_URL": redis_server.url,
        **s3_server.client_env(),
        "INGEST_S3_BUCKET": "ingest-test",
        "INGEST_LOG_LEVEL": "INFO",
        # Webhook receivers in tests listen on loopback, and retry within seconds, not hours.
        "INGEST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "INGEST_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
        "INGEST_WEBHOOK_RETRY_MAX_INTERVAL_SECONDS": "2",
        "INGEST_WEBHOOK_DISPATCH_INTERVAL_SECONDS": "0.2",
    }


@pytest.fixture(scope="session")
def stack_settings(stack_env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    os.environ.update(stack_env)
    try:
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def worker(stack_env: dict[str, str], servers_dir: Path) -> Iterator[Worker]:
    """One real Celery worker process (prefork, two children)."""
    process = Worker(stack_env, servers_dir / "logs", name="worker", concurrency=2)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis[bytes]]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def object_store(stack_settings: Settings) -> ObjectStore:
    store = ObjectStore.from_settings(stack_settings)
    store.ensure_bucket()
    return store


@pytest.fixture
def collection() -> str:
    """A fresh collection per test, so dedup and feeds never see another test's articles."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def api_server(stack_env: dict[str, str], servers_dir: Path) -> Iterator[ApiServer]:
    """The real HTTP server (uvicorn in its own process)."""
    server = ApiServer(stack_env, servers_dir / "logs")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(api_server: ApiServer, worker: Worker) -> Iterator[httpx.Client]:
    """An HTTP client for the running API with a worker behind it."""
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        yield client


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    """Long-polls until the job is finished; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", params={"wait": 5, "until": "final"}).json()
        if job["status"] in {"succeeded", "partially_failed", "failed", "cancelled"}:
            return job
    raise AssertionError(f"job {job_id} did not finish within {timeout}s: {job}")


@pytest.fixture
def wait_job() -> Callable[..., dict[str, Any]]:
    return wait_for_job


HARBOUR_STORY = """Harbour authorities in Valletta said on Tuesday that the new container terminal would \
open in March, two months later than planned, after storms damaged the northern breakwater.

The 180-million-euro terminal is meant to double the port's capacity and draw transshipment traffic away \
from larger hubs in the western Mediterranean.

Engineers found cracks in 40 of the concrete blocks that shield the quay, the authority's chief executive \
told reporters, and each must be replaced before cranes can be installed.

Shipping lines that had booked berths for January were offered slots at the old terminal at no extra \
charge, according to a statement published on the authority's website.

Local fishermen, who opposed the project from the start, said the delay proved that the breakwater had \
been built too quickly and without enough testing of the seabed."""


@pytest.fixture(scope="session")
def distinct_articles() -> list[bytes]:
    """Three articles that are not duplicates of each other (two report the same event)."""
    return [
        (SAMPLES / "000_db929eefe4fa1c71.txt").read_bytes(),
        (SAMPLES / "001_97712b54962e7890.txt").read_bytes(),
        HARBOUR_STORY.encode(),
    ]


@pytest.fixture
def enqueue_directly(
    redis_client: redis.Redis[bytes], object_store: ObjectStore, collection: str
) -> Callable[..., BatchMessage]:
    """Registers a job the way the API does (stored upload, documents, batch in the outbox) and
    returns its batch message without sending it: tests then run the worker's code on it."""

    def register(*bodies: bytes, dispatch_by: float | None = None) -> BatchMessage:
        documents, batch_documents = [], []
        for number, body in enumerate(bodies):
            sha = hashlib.sha256(body).hexdigest()
            object_store.put_if_absent(raw_key(collection, sha), body)
            doc = NewDocument(f"a{number}.txt")
            documents.append(doc)
            locator = Locator(raw_key=raw_key(collection, sha), length=len(body))
            batch_documents.append(BatchDocument(doc_id=doc.doc_id, filename=doc.filename, locator=locator))
        job_id = new_id()
        message = BatchMessage(
            batch_id=new_id(), job_id=job_id, collection=collection, documents=batch_documents
        )
        JobStore(redis_client).create_job(
            collection,
            documents,
            job_id=job_id,
            batches=[(message.batch_id, message.model_dump_json())],
            dispatch_by=dispatch_by if dispatch_by is not None else time.time() + 3600,
        )
        return message

    return register
