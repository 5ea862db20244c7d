"""Endpoints for backends that are down: a refused port, and a port that accepts and never answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from ingest_api.main import create_app
from ingest_core.settings import Settings
from ingest_devstack.servers import free_port

# Explicit S3 keys, so requests go on the wire instead of failing early for want of credentials.
KEYS: dict[str, Any] = {"s3_access_key_id": "test", "s3_secret_access_key": "test"}


def refused_url(scheme: str) -> str:
    """Nothing listens here: connections are refused at once (a stopped process)."""
    return f"{scheme}://127.0.0.1:{free_port()}"


@contextmanager
def silent_url(scheme: str) -> Iterator[str]:
    """A socket that listens and never accepts or answers (a hung or SIGSTOPped server):
    connecting works (the kernel's backlog), every read waits."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"{scheme}://127.0.0.1:{listener.getsockname()[1]}"


def settings_without_backends(**overrides: Any) -> Settings:
    """An app that never reaches Redis or S3: for what is decided before any backend is touched
    (auth, docs, the OpenAPI document)."""
    base: dict[str, Any] = {
        "redis_url": "redis://127.0.0.1:1/0",
        "s3_endpoint_url": "http://127.0.0.1:1",
        "s3_create_bucket": False,
    }
    return Settings(**{**base, **overrides})


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as the app serves it."""
    with TestClient(create_app(settings_without_backends())) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document
