"""API keys: when configured, every /v1 route needs one; health probes never do."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import ingest_api.routes
from ingest_api.deps import get_scope, require_api_key
from ingest_api.main import create_app

from .stopped_backends import settings_without_backends


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Nothing listens on these ports: auth is decided before any backend is touched.
    settings = settings_without_backends(api_keys=["s3cret"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/v1/records", "/v1/schema/record"])
def test_a_request_without_a_key_is_401_with_a_json_error(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_wrong_key_is_403(client: TestClient) -> None:
    response = client.get("/v1/schema/record", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_right_key_is_accepted_as_bearer_token_or_header(client: TestClient) -> None:
    assert client.get("/v1/schema/record", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/v1/schema/record", headers={"X-API-Key": "s3cret"}).status_code == 200


def test_uploads_need_a_key_too(client: TestClient) -> None:
    response = client.post("/v1/documents", content=b"text", headers={"Content-Type": "text/plain"})
    assert response.status_code == 401


def test_liveness_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_readiness_reports_unreachable_backends_with_503(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["status"] == "unavailable"


def test_a_redis_outage_is_a_503_with_retry_after(client: TestClient) -> None:
    response = client.get("/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers={"X-API-Key": "s3cret"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_key_with_non_ascii_characters_is_refused_with_403_not_an_error(client: TestClient) -> None:
    for headers in ({"X-API-Key": "cl\xe9".encode("latin-1")}, {"Authorization": b"Bearer s3cr\xe9t"}):
        response = client.get("/v1/schema/record", headers=headers)
        assert response.status_code == 403, response.text


def test_a_bearer_token_wins_over_the_header_and_another_scheme_falls_back_to_it(client: TestClient) -> None:
    both = {"Authorization": "Bearer nope", "X-API-Key": "s3cret"}
    assert client.get("/v1/schema/record", headers=both).status_code == 403
    basic = {"Authorization": "Basic czNjcmV0", "X-API-Key": "s3cret"}
    assert client.get("/v1/schema/record", headers=basic).status_code == 200
    assert client.get("/v1/schema/record", headers={"Authorization": "Basic czNjcmV0"}).status_code == 401


def test_every_route_that_takes_a_scope_is_authorized_before_it() -> None:
    """``get_scope`` reads the principal ``require_api_key`` left on the request, so every route
    with a scope must be on a router that declares ``Authorized`` (FastAPI solves a router's
    dependencies before the route's own)."""

    def calls(dependant: Dependant) -> list[object]:
        return [dependant.call, *(call for sub in dependant.dependencies for call in calls(sub))]

    scoped = 0
    for module_info in pkgutil.iter_modules(ingest_api.routes.__path__):
        module = importlib.import_module(f"ingest_api.routes.{module_info.name}")
        for router in [value for value in vars(module).values() if isinstance(value, APIRouter)]:
            authorized = any(depends.dependency is require_api_key for depends in router.dependencies)
            for route in router.routes:
                if isinstance(route, APIRoute) and get_scope in calls(route.dependant):
                    scoped += 1
                    assert authorized, f"{module_info.name}: {route.path} takes a scope without Authorized"
    assert scoped >= 10
