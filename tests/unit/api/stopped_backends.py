"""Endpoints for backends that are down: a refused port, and a port that accepts and never answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
