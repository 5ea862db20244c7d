"""CPU of the per-source line history in Redis: one document at a time against batches of 64.

    .venv/bin/python -m bench.source_profiles [--calls N] [--no-write]

A Redis (as ``make run`` starts it) on a free loopback port. The documents are the whole-page
texts of bench.text_speed (evaluation pages cut to ~5 KB: menus, footers and all), segmented by
the real stages; each makes the visit ``LookUpSourceHistory`` makes (``profile_visit``), under
8 source names in turn, so profiles grow as in one site's backfill. ``N`` visits per round,
each mode and round under a fresh key prefix (checked: nothing counted before, every document
once after), in turn: the per-document calls of commit f975d72 (before batches), ``lookup``
then ``observe`` per document (today's single-document calls), then ``visit_many`` per 64 (the
worker's batch size). Client CPU is ``time.process_time`` of this process; server CPU is
Redis's own ``used_cpu_user + used_cpu_sys``. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from itertools import cycle
from pathlib import Path

import redis

from bench.calls import calls_main
from bench.quality.run import _cpu_model
from bench.text_speed import documents
from ingest_core.keys import RedisKeys
from ingest_devstack.servers import RedisServer
from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.profiles import MAX_LINES_PER_DOC, ProfileVisit, RedisSourceProfiles
from ingest_worker.pipeline.text.stages import RemoveRepeats, SegmentText, layout_of, profile_visit

START, END = "<!-- source-profiles:start -->", "<!-- source-profiles:end -->"
ROUNDS = 3
BATCH = 64
SOURCES = 8

Figures = dict[str, float]  # client CPU, server CPU, wall: ms per document


@cache
def pages() -> tuple[ProfileVisit, ...]:
    """One visit per benchmark page, as the stage makes it."""
    ctx = StageContext(dedup_enabled=False)
    visits: list[ProfileVisit] = []
    for number, text in enumerate(documents(None)):
        doc = Article(raw=b"", content_type="text/plain", text=text, source_name=f"site-{number % SOURCES}")
        try:
            doc = RemoveRepeats()(SegmentText()(doc, ctx), ctx)
        except Reject:
            continue
        layout = layout_of(doc)
        if layout is not None and (visit := profile_visit(doc, layout)) is not None:
            visits.append(visit[0])
    return tuple(visits)


def visits(calls: int) -> list[ProfileVisit]:
    """``calls`` visits from the benchmark pages, cycled; each a distinct document."""
    return [ProfileVisit(page.source, page.hashes, f"{i}") for i, page in zip(range(calls), cycle(pages()))]


def _as_f975d72(profiles: RedisSourceProfiles, batch: Sequence[ProfileVisit]) -> None:
    """The calls the stage made per document before batches (commit f975d72), as the baseline:
    an HMGET, a SET NX of the seen-marker, then a pipeline of one HINCRBY per line."""
    client = profiles.client
    for visit in batch:
        key = profiles.keys.source_profile(visit.source)
        client.hmget(key, ["_docs", *visit.hashes])
        if not client.set(f"{key}:doc:{visit.doc_key}", 1, nx=True, ex=profiles.ttl_seconds):
            continue
        pipe = client.pipeline(transaction=False)
        for h in visit.hashes[:MAX_LINES_PER_DOC]:
            pipe.hincrby(key, h, 1)
        pipe.hincrby(key, "_docs", 1)
        pipe.expire(key, profiles.ttl_seconds)
        pipe.hlen(key)
        if int(pipe.execute()[-1]) > profiles.max_entries:
            profiles._trim(key)


def _one_at_a_time(profiles: RedisSourceProfiles, batch: Sequence[ProfileVisit]) -> None:
    for visit in batch:
        profiles.lookup(visit.source, visit.hashes)
        profiles.observe(visit.source, visit.hashes, visit.doc_key)


def _batched(profiles: RedisSourceProfiles, batch: Sequence[ProfileVisit]) -> None:
    for start in range(0, len(batch), BATCH):
        profiles.visit_many(batch[start : start + BATCH])


MODES: dict[str, Callable[[RedisSourceProfiles, Sequence[ProfileVisit]], None]] = {
    "one at a time, as f975d72": _as_f975d72,
    "one at a time (lookup, observe)": _one_at_a_time,
    f"batches of {BATCH}": _batched,
}


def _server_cpu(client: redis.Redis[bytes]) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _check_counted(profiles: RedisSourceProfiles, done: Sequence[ProfileVisit], *, before: bool) -> None:
    """Nothing counted before a mode runs, every document once after: a mode that found its
    documents already counted would skip the work and measure nothing."""
    for source in {visit.source for visit in done}:
        expected = 0 if before else sum(1 for visit in done if visit.source == source)
        counted, _ = profiles.lookup(source, [])
        if counted != expected:
            raise RuntimeError(f"{source}: {counted} documents counted, {expected} expected")


def run(calls: int) -> dict[str, Figures]:
    batch = visits(calls)
    totals = {mode: {"client": 0.0, "server": 0.0, "wall": 0.0} for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        server = RedisServer(Path(tmp), persistent=False)
        server.start()
        client = redis.Redis.from_url(server.url)
        try:
            for round_ in range(-1, ROUNDS):  # round -1 warms connections and scripts
                for number, (mode, visit) in enumerate(MODES.items()):
                    # a fresh namespace per mode and round: every document is new, so each is counted
                    profiles = RedisSourceProfiles(client, RedisKeys(f"r{round_}-m{number}"))
                    todo = batch if round_ >= 0 else batch[:BATCH]
                    _check_counted(profiles, todo, before=True)
                    cpu, wall, served = time.process_time(), time.perf_counter(), _server_cpu(client)
                    visit(profiles, todo)
                    if round_ >= 0:
                        totals[mode]["client"] += time.process_time() - cpu
                        totals[mode]["wall"] += time.perf_counter() - wall
                        totals[mode]["server"] += _server_cpu(client) - served
                    _check_counted(profiles, todo, before=False)
        finally:
            client.close()
            server.stop()
    return {mode: {k: v * 1000 / (calls * ROUNDS) for k, v in f.items()} for mode, f in totals.items()}


def report(results: dict[str, Figures], calls: int, command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    hashes = sorted(len(page.hashes) for page in pages())
    lines = [
        "## Source profiles in Redis: one document at a time against batches",
        "",
        f"- date: {now}; machine: {_cpu_model()}, {os.cpu_count()} shared cores"
        f" (1-minute load {os.getloadavg()[0]:.1f} at the end)",
        f"- command: `{command}`; {calls} documents per mode and round, {ROUNDS} rounds alternating;"
        f" {len(pages())} pages under {SOURCES} source names;"
        f" short lines per page: median {hashes[len(hashes) // 2]}, p90 {hashes[len(hashes) * 9 // 10]}",
        "- client CPU: `time.process_time` of the caller; server CPU: Redis's `used_cpu_user + used_cpu_sys`",
        "",
        "| mode | client CPU / doc | Redis CPU / doc | wall / doc |",
        "| --- | --- | --- | --- |",
    ]
    for mode, f in results.items():
        lines.append(f"| {mode} | {f['client']:.3f} ms | {f['server']:.3f} ms | {f['wall']:.3f} ms |")
    many = results[f"batches of {BATCH}"]
    for mode, f in results.items():
        if f is not many:
            ratios = " | ".join(f"{f[k] / many[k]:.1f}x" for k in ("client", "server", "wall"))
            lines.append(f"| {mode} / batches | {ratios} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    calls_main(argv, sys.modules[__name__], default_calls=2000)


if __name__ == "__main__":
    main()
