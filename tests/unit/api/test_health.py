"""Readiness answers within two seconds and names what is down, however the backend is down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from ingest_api.main import create_app
from ingest_core.settings import Settings

from .stopped_backends import KEYS, refused_url, silent_url


@contextmanager
def _client(redis_url: str, s3_url: str) -> Iterator[TestClient]:
    settings = Settings(redis_url=redis_url + "/0", s3_endpoint_url=s3_url, s3_create_bucket=False, **KEYS)
    with TestClient(create_app(settings)) as client:
        yield client


class _Up:
    """Stands in for a backend that answers."""

    def ping(self) -> bool:
        return True

    def check(self) -> None:
        return None


#: The checks stop at 1.5 s (the body says so); the bound below only proves the probe never waits
#: for a client's own timeouts (30 s and more), with room for a loaded shared machine.
PROMPTLY = 5.0


def _timed_readyz(client: TestClient) -> tuple[float, dict[str, object], int, str | None]:
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    return elapsed, response.json(), response.status_code, response.headers.get("retry-after")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["refused", "silent"])
def test_readiness_answers_503_within_two_seconds_naming_storage_when_storage_is_down(how: str) -> None:
    with silent_url("http") as silent:
        s3_url = refused_url("http") if how == "refused" else silent
        with _client(refused_url("redis"), s3_url) as client:
            client.app.state.services.redis = _Up()  # type: ignore[attr-defined]
            elapsed, body, status, retry_after = _timed_readyz(client)
    assert elapsed < PROMPTLY
    assert status == 503 and retry_after == "5"
    assert body["status"] == "unavailable"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["redis"] == "ok" and checks["storage"].startswith("unavailable")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["refused", "silent"])
def test_readiness_answers_503_within_two_seconds_naming_redis_when_redis_is_down(how: str) -> None:
    with silent_url("redis") as silent:
        redis_url = refused_url("redis") if how == "refused" else silent
        with _client(redis_url, refused_url("http")) as client:
            client.app.state.services.reads = _Up()  # type: ignore[attr-defined]
            elapsed, body, status, _ = _timed_readyz(client)
    assert elapsed < PROMPTLY
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["storage"] == "ok" and checks["redis"].startswith("unavailable")


@pytest.mark.timeout(30)
def test_readiness_with_both_backends_silent_still_answers_within_two_seconds() -> None:
    with silent_url("redis") as redis_url, silent_url("http") as s3_url, _client(redis_url, s3_url) as client:
        elapsed, body, status, _ = _timed_readyz(client)
    assert elapsed < PROMPTLY
    assert status == 503
    assert body["checks"] == {
        "redis": "unavailable: no answer within 1.5s",
        "storage": "unavailable: no answer within 1.5s",
    }


def test_healthz_answers_head_as_load_balancers_send_it() -> None:
    with _client(refused_url("redis"), refused_url("http")) as client:
        head = client.head("/healthz")
        assert head.status_code == 200 and head.content == b""
        assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
