"""SeaweedFS's CPU per request with one Go thread against one per core (its GOMAXPROCS).

    .venv/bin/python -m bench.weed_threads [--calls N] [--no-write]

Two ``weed mini`` servers as ``make run`` starts them, on free loopback ports, one with
``GOMAXPROCS=1`` (the local stack's default, ``ingest_devstack.servers.WEED_GOMAXPROCS``) and
one with a thread per core (Go's own default). The requests the service makes per document
(a conditional PUT of a ~4 KB record, then a GET of it), ``N`` each from 1 and from 8 client
threads, in rounds alternating between the servers so both see the same machine load. The
server's CPU is utime + stime of its process from /proc; wall time is the client's.
Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.calls import calls_main
from bench.quality.run import _cpu_model
from bench.throughput.procs import tree_cpu
from ingest_core.s3_requests import S3Requests
from ingest_devstack.servers import SeaweedS3, free_port

START, END = "<!-- weed-threads:start -->", "<!-- weed-threads:end -->"
BUCKET = "bench-weed"
ROUNDS = 3
CLIENTS = (1, 8)
#: (label, GOMAXPROCS) of the two servers.
SERVERS = (("1 thread", 1), ("a thread per core", os.cpu_count() or 2))

Figures = dict[tuple[str, str, int], list[tuple[float, float]]]


def _timed(server_pid: int, call: Callable[[int], object], calls: int, clients: int) -> tuple[float, float]:
    """(server CPU ms, client wall ms) per call, ``calls`` calls from ``clients`` threads."""
    cpu, wall = tree_cpu(server_pid), time.perf_counter()
    if clients == 1:
        for i in range(calls):
            call(i)
    else:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(call, range(calls)))
    elapsed = time.perf_counter() - wall
    time.sleep(0.2)  # the server's last replies are counted before its CPU is read
    return (tree_cpu(server_pid) - cpu) * 1000 / calls, elapsed * 1000 / calls


def _requests(s3: S3Requests, prefix: str, body: bytes) -> list[tuple[str, Callable[[int], object]]]:
    """The record's write, then its read, as calls by number under ``prefix``."""

    def put(i: int) -> None:
        s3.put(f"{prefix}/{i}.json", body, content_type="application/json", if_none_match=True)

    def get(i: int) -> bytes:
        return s3.get(f"{prefix}/{i}.json")

    return [("conditional PUT", put), ("GET", get)]


def _ready(requests: S3Requests) -> None:
    """The bucket answers writes (``weed mini`` creates it a moment after it listens)."""
    for _ in range(100):
        try:
            requests.put("ready", b"", content_type="text/plain")
            return
        except Exception:
            time.sleep(0.2)
    requests.put("ready", b"", content_type="text/plain")


def run(calls: int) -> Figures:
    body = os.urandom(4000)
    figures: Figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-weed-") as tmp:
        servers = {
            label: SeaweedS3(Path(tmp) / f"s3-{threads}", free_port(), bucket=BUCKET, go_threads=threads)
            for label, threads in SERVERS
        }
        try:
            clients: dict[str, S3Requests] = {}
            for label, server in servers.items():
                server.start()
                clients[label] = S3Requests(
                    endpoint_url=server.endpoint,
                    bucket=BUCKET,
                    access_key_id=server.access_key,
                    secret_access_key=server.secret_key,
                )
                _ready(clients[label])
                for i in range(50):  # connections, the volume's first writes
                    clients[label].put(f"warm/{i}", body, content_type="application/json", if_none_match=True)
            for round_ in range(ROUNDS):
                for label, server in servers.items():
                    assert server.pid is not None
                    s3 = clients[label]
                    for threads in CLIENTS:
                        for operation, call in _requests(s3, f"r{round_}/c{threads}", body):
                            measured = _timed(server.pid, call, calls, threads)
                            figures.setdefault((label, operation, threads), []).append(measured)
        finally:
            for server in servers.values():
                server.stop()
    return figures


def report(figures: Figures, calls: int, command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    one, per_core = (label for label, _ in SERVERS)
    lines = [
        "## SeaweedFS threads: CPU per request with GOMAXPROCS=1 and with a thread per core",
        "",
        f"- date: {now}; machine: {_cpu_model()}, {os.cpu_count()} shared cores"
        f" (1-minute load {os.getloadavg()[0]:.1f} at the end)",
        f"- command: `{command}`; {calls} calls per operation, client count and round,"
        f" {ROUNDS} rounds alternating between the two servers",
        "- servers: two `weed mini` on loopback, as `make run` starts it, but for GOMAXPROCS;"
        " server CPU is utime+stime of its process; wall time is the client's, per call"
        " (with 8 clients: elapsed / calls, so its inverse is requests/s)",
        "",
        f"| request | clients | CPU, {one} | CPU, {per_core} | CPU ratio | wall, {one} | wall, {per_core} |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for operation in ("conditional PUT", "GET"):
        for threads in CLIENTS:
            (c1, w1), (cn, wn) = (_mean(figures[(label, operation, threads)]) for label, _ in SERVERS)
            lines.append(
                f"| {operation} | {threads} | {c1:.2f} ms | {cn:.2f} ms | {c1 / cn:.2f}x"
                f" | {w1:.2f} ms | {wn:.2f} ms |"
            )
    return "\n".join(lines)


def _mean(values: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(c for c, _ in values) / len(values), sum(w for _, w in values) / len(values)


def main(argv: list[str] | None = None) -> None:
    calls_main(argv, sys.modules[__name__], default_calls=1000)


if __name__ == "__main__":
    main()
