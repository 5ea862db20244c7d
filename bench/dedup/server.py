"""A throwaway Valkey/Redis server for benchmarks, started the way the test suite starts one."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from ingest_devstack.servers import RedisServer


@contextmanager
def valkey_server() -> Iterator[redis.Redis[bytes]]:
    """Starts a non-persistent server on a free loopback port, yields a client, stops it by PID."""
    with valkey_server_with_pid() as (client, _pid):
        yield client


@contextmanager
def valkey_server_with_pid() -> Iterator[tuple[redis.Redis[bytes], int]]:
    """``valkey_server``, with the server's PID (for its CPU time)."""
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as data:
        server = RedisServer(Path(data), persistent=False)
        server.start()
        assert server.pid is not None
        client: redis.Redis[bytes] = redis.Redis(host="127.0.0.1", port=server.port)
        try:
            yield client, server.pid
        finally:
            client.close()
            server.stop()
