"""CPU and wall time of the object store's hot calls: boto3 against the lean signed requests.

    .venv/bin/python -m bench.s3_requests [--calls N] [--no-write]

A SeaweedFS (``weed mini``, as ``make run`` starts it) on a free loopback port; the same
``ObjectStore`` calls the service makes per document (a conditional PUT of a ~3 KB record, a
ranged GET of an upload, a whole GET), ``N`` each, once through boto3 alone and once through
``ingest_core.s3_requests``, alternating rounds so both see the same machine load. CPU is
``time.process_time`` of this process (the client side only; the server is the same for both).
Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.calls import calls_main
from bench.quality.run import _cpu_model
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore, make_s3_client, make_s3_requests
from ingest_devstack.servers import SeaweedS3, free_port

START, END = "<!-- s3-requests:start -->", "<!-- s3-requests:end -->"
BUCKET = "bench-s3"
ROUNDS = 4


def _timed(call: Callable[[int], object], calls: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per call."""
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(calls):
        call(i)
    return (time.process_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls


def _round(store: ObjectStore, prefix: str, body: bytes, calls: int) -> dict[str, tuple[float, float]]:
    return {
        "conditional PUT (record)": _timed(lambda i: store.put_if_absent(f"{prefix}/{i}", body), calls),
        "ranged GET (upload)": _timed(lambda i: store.get_range(f"{prefix}/{i}", 100, 1100), calls),
        "GET (record)": _timed(lambda i: store.get(f"{prefix}/{i}"), calls),
    }


def run(calls: int) -> dict[str, dict[str, tuple[float, float]]]:
    body = os.urandom(3000)
    totals: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        server = SeaweedS3(Path(tmp) / "s3", free_port(), bucket=BUCKET)
        server.start()
        try:
            env = {k.removeprefix("INGEST_").lower(): v for k, v in server.client_env().items()}
            settings = Settings.model_validate({**env, "s3_bucket": BUCKET})
            stores = {
                "boto3": ObjectStore(make_s3_client(settings), BUCKET),
                "lean requests": ObjectStore(make_s3_client(settings), BUCKET, make_s3_requests(settings)),
            }
            stores["boto3"].ensure_bucket()
            for name, store in stores.items():  # warm: connections, boto3's models
                for i in range(20):
                    store.put_if_absent(f"warm/{name}/{i}", body)
            for round_ in range(ROUNDS):
                for name, store in stores.items():
                    figures = totals.setdefault(name, {})
                    for operation, measured in _round(store, f"r{round_}/{name}", body, calls).items():
                        figures.setdefault(operation, []).append(measured)
        finally:
            server.stop()
    return {
        name: {op: (sum(c for c, _ in v) / len(v), sum(w for _, w in v) / len(v)) for op, v in ops.items()}
        for name, ops in totals.items()
    }


def report(results: dict[str, dict[str, tuple[float, float]]], calls: int, command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## S3 requests: boto3 against the lean signed requests",
        "",
        f"- date: {now}; machine: {_cpu_model()}, {os.cpu_count()} shared cores"
        f" (1-minute load {os.getloadavg()[0]:.1f} at the end)",
        f"- command: `{command}`; {calls} calls per operation and round, {ROUNDS} rounds alternating",
        "- server: SeaweedFS `weed mini` on loopback; client CPU is `time.process_time` of the caller",
        "",
        "| operation | boto3 CPU | lean CPU | CPU ratio | boto3 wall | lean wall | wall ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    boto, lean = results["boto3"], results["lean requests"]
    for op in boto:
        (bc, bw), (lc, lw) = boto[op], lean[op]
        cpu = f"{bc:.2f} ms | {lc:.2f} ms | {bc / lc:.1f}x"
        lines.append(f"| {op} | {cpu} | {bw:.2f} ms | {lw:.2f} ms | {bw / lw:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    calls_main(argv, sys.modules[__name__], default_calls=200)


if __name__ == "__main__":
    main()
