"""Tenant keys at the door: decided before any backend is touched (nothing listens on the
backends' ports here, so a request that got past auth would be a 503)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest_api.main import create_app
from ingest_core.settings import Settings

NO_BACKENDS: dict[str, Any] = {
    "redis_url": "redis://127.0.0.1:1/0",
    "s3_endpoint_url": "http://127.0.0.1:1",
    "s3_create_bucket": False,
}
TENANTS = [
    {"name": "acme", "keys": ["acme-all", {"key": "acme-news", "collections": ["news"]}]},
    {"name": "beta", "keys": ["beta-key"]},
]


def make_client(**overrides: Any) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**{**NO_BACKENDS, **overrides}))) as client:
        yield client


@pytest.fixture
def client() -> Iterator[TestClient]:
    yield from make_client(tenants=TENANTS, api_keys=["legacy"])


@pytest.mark.parametrize("key", ["acme-all", "acme-news", "beta-key", "legacy"])
def test_every_tenants_key_and_the_old_api_keys_are_accepted(client: TestClient, key: str) -> None:
    assert client.get("/v1/schema/record", headers={"X-API-Key": key}).status_code == 200


def test_a_key_nobody_holds_is_403(client: TestClient) -> None:
    response = client.get("/v1/schema/record", headers={"Authorization": "Bearer nobody"})
    assert response.status_code == 403


def test_a_key_limited_to_news_gets_403_for_another_collections_feed(client: TestClient) -> None:
    response = client.get("/v1/records", params={"collection": "sports"}, headers={"X-API-Key": "acme-news"})
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "this API key may not use collection 'sports'",
        "details": {"collection": "sports"},
    }
    # Its own collection gets past auth (and meets the stopped Redis).
    allowed = client.get("/v1/records", params={"collection": "news"}, headers={"X-API-Key": "acme-news"})
    assert allowed.status_code == 503


def test_a_key_limited_to_news_gets_403_for_an_upload_to_another_collection(client: TestClient) -> None:
    response = client.post(
        "/v1/documents",
        content=b"An article.",
        headers={"X-API-Key": "acme-news", "Content-Type": "text/plain", "X-Collection": "sports"},
    )
    assert response.status_code == 403, response.text


def test_metrics_stay_open_unless_asked_to_need_a_key(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200


def test_metrics_need_a_key_when_configured() -> None:
    for client in make_client(tenants=TENANTS, metrics_require_key=True):
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": "wrong"}).status_code == 403
        assert client.get("/metrics", headers={"Authorization": "Bearer beta-key"}).status_code == 200
        assert client.get("/metrics", headers={"X-API-Key": "acme-news"}).status_code == 200


def test_metrics_stay_open_without_keys_even_when_asked() -> None:
    for client in make_client(metrics_require_key=True):
        assert client.get("/metrics").status_code == 200
