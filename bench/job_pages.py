"""How long `GET /v1/jobs/{id}` takes for a job of 100,000 documents, beside `GET /healthz`.

    .venv/bin/python -m bench.job_pages [--documents N] [--reads N] [--no-write]

The stack as `make run` starts it, on free loopback ports. The job is registered straight in
its Redis (no batches, so no worker touches it) and an eighth of its documents finished (one in
64 failed), so a status filter has something to find. Each read is timed from the client,
request to parsed answer; the reads of every kind take turns with `GET /healthz` (the API's
floor: routing, auth, JSON) so that the machine's noise falls on both alike.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import redis

from bench.quality.run import _cpu_model, write_section
from bench.throughput.run import running_stack
from ingest_core.jobs import DocOutcome, JobStore, NewDocument
from ingest_core.keys import DEFAULT_TENANT, tenant_collection
from ingest_core.schema import DocStatus

START, END = "<!-- job-pages:start -->", "<!-- job-pages:end -->"
TARGET_MS = 50.0


def register_job(store: JobStore, documents: int) -> str:
    """A job of ``documents`` queued documents; every 8th stored, every 64th failed."""
    docs = [NewDocument(filename=f"d{i:06d}.txt") for i in range(documents)]
    job_id = store.create_job(tenant_collection(DEFAULT_TENANT, "pages"), docs)
    finished = [
        DocOutcome(d.doc_id, DocStatus.failed, error="bench: failed")
        if i % 64 == 0
        else DocOutcome(d.doc_id, DocStatus.stored, record_id=f"r{i}", record_key=f"records/r{i}")
        for i, d in enumerate(docs)
        if i % 8 == 0
    ]
    for start in range(0, len(finished), 1000):
        store.finish_many(job_id, "pages", finished[start : start + 1000])
    return job_id


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    answer = call()
    answer.raise_for_status()
    answer.json()
    return (time.perf_counter() - started) * 1000


def measure(url: str, job_id: str, documents: int, reads: int) -> dict[str, list[float]]:
    kinds: dict[str, dict[str, str | int]] = {
        "page of 100 (default)": {},
        "page of 1,000": {"limit": 1000},
        "page of 100, last page": {"cursor": documents - 100},
        "page of 100 failed (1 in 64)": {"status": "failed"},
    }
    times: dict[str, list[float]] = {"GET /healthz": [], **{kind: [] for kind in kinds}}
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(3):  # warm the connection and the API's code paths
            client.get("/healthz")
            client.get(f"/v1/jobs/{job_id}")
        for _ in range(reads):
            for kind, params in kinds.items():
                times["GET /healthz"].append(timed(lambda: client.get("/healthz")))
                times[kind].append(timed(partial(client.get, f"/v1/jobs/{job_id}", params=params)))
    return times


def report(times: dict[str, list[float]], documents: int, reads: int, command: str) -> str:
    floor = statistics.median(times["GET /healthz"])
    lines = [
        "## Reading a large job: `GET /v1/jobs/{id}`",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {_cpu_model()}",
        f"- command: `{command}`",
        f"- a job of {documents:,} documents registered in the stack's Redis (an eighth finished, 1 in 64"
        f" failed); {reads} reads of each kind, client-side wall time to the parsed answer, taking"
        " turns with `GET /healthz`",
        f"- target: {TARGET_MS:.0f} ms for a page of a 100,000-document job (issue 7)",
        "",
        "| read | p50 | p90 | max | p50 vs /healthz |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, values in times.items():
        ordered = sorted(values)
        p50, p90 = statistics.median(ordered), ordered[int(len(ordered) * 0.9)]
        lines.append(f"| {kind} | {p50:.1f} ms | {p90:.1f} ms | {ordered[-1]:.1f} ms | {p50 / floor:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench-job-pages-") as tmp,
        running_stack(Path(tmp)) as (url, probe),
    ):
        store = JobStore(redis.Redis.from_url(probe.redis_url))
        job_id = register_job(store, args.documents)
        times = measure(url, job_id, args.documents, args.reads)
    command = f".venv/bin/python -m bench.job_pages --documents {args.documents} --reads {args.reads}"
    text = report(times, args.documents, args.reads, command)
    print(text)
    if not args.no_write:
        write_section(text, START, END)


if __name__ == "__main__":
    main()
