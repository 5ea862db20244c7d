"""Auth is declared in OpenAPI as security schemes, so /docs offers an Authorize button."""

from __future__ import annotations

from typing import Any

import pytest

from .stopped_backends import openapi_document

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    document = openapi_document()
    return document


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def test_bearer_and_api_key_header_are_declared_as_security_schemes(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    bearer = [s for s in schemes.values() if s.get("type") == "http"]
    header = [s for s in schemes.values() if s.get("type") == "apiKey"]
    assert [s["scheme"].lower() for s in bearer] == ["bearer"]
    assert [(s["in"], s["name"]) for s in header] == [("header", "X-API-Key")]


def test_every_v1_operation_accepts_either_scheme(openapi: dict[str, Any]) -> None:
    names = set(openapi["components"]["securitySchemes"])
    v1 = [(path, method, op) for path, method, op in operations(openapi) if path.startswith("/v1/")]
    assert v1
    for path, method, op in v1:
        # A list of alternatives, one scheme each: any one of them authorises the call.
        requirements = op.get("security")
        assert requirements, f"{method.upper()} {path} declares no security"
        assert sorted(name for req in requirements for name in req) == sorted(names), (path, method)
        assert all(len(req) == 1 for req in requirements), (path, method)


def test_the_key_headers_are_no_longer_loose_parameters(openapi: dict[str, Any]) -> None:
    for path, method, op in operations(openapi):
        headers = {p["name"].lower() for p in op.get("parameters", []) if p.get("in") == "header"}
        assert not headers & {"authorization", "x-api-key"}, (path, method, headers)


def test_health_probes_declare_no_security(openapi: dict[str, Any]) -> None:
    for path, _method, op in operations(openapi):
        if path in {"/healthz", "/readyz", "/metrics"}:
            assert not op.get("security"), path


def test_every_v1_operation_documents_403_and_429(openapi: dict[str, Any]) -> None:
    v1 = [(path, method, op) for path, method, op in operations(openapi) if path.startswith("/v1/")]
    for path, method, op in v1:
        assert {"401", "403", "429"} <= set(op["responses"]), (method.upper(), path)
        assert op["responses"]["429"]["content"]["application/json"]["schema"], (method.upper(), path)


def test_uploads_document_the_503_of_a_full_queue(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"]["/v1/documents"]["post"]["responses"]
    assert "queue" in responses["503"]["description"]
