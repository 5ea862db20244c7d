"""Throughput per upload format, offline, beside the plain-text baseline of the same run.

    .venv/bin/python -m bench.formats [--docs N] [--no-write]      (make bench-formats)

For each format, files holding ``N`` distinct articles in all are written with the real
writers of ``tests/format_samples.py`` (containers hold all N; one-document formats get N
files), then read through ``ingest_worker.offline.run_offline`` (reader, whole pipeline,
record built; dedup off, no Redis or S3). Reported per format: documents per second (wall)
and CPU milliseconds per document (``time.process_time``), and CPU relative to plain text.
Every article is the same size family (``story``, four paragraphs), so the difference is
the format's own cost: unpacking, parsing, HTML extraction. One warm-up pass first (loads the
language model). Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.quality.run import _cpu_model, write_section
from tests.format_samples import (
    WHEN,
    atom,
    docx,
    eml,
    html_page,
    json_articles,
    markdown,
    pdf,
    rss,
    story,
    warc,
    wrapped,
    zipped,
)

START, END = "<!-- formats:start -->", "<!-- formats:end -->"
BASELINE = "text"


@dataclass(frozen=True)
class Measure:
    name: str
    documents: int  # documents stored (the reader's output, through the whole pipeline)
    wall_seconds: float
    cpu_seconds: float


def per_second(documents: int, seconds: float) -> float:
    return documents / seconds if seconds > 0 else 0.0


def cpu_ms_per_document(measure: Measure) -> float:
    return 1000 * measure.cpu_seconds / measure.documents if measure.documents else 0.0


def table(measures: list[Measure]) -> str:
    """The Markdown table, plain text first, each row's CPU relative to it."""
    base = next((m for m in measures if m.name == BASELINE), None)
    base_ms = cpu_ms_per_document(base) if base else 0.0
    lines = [
        "| format | documents | documents/s | CPU ms/document | CPU vs text |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in sorted(measures, key=lambda m: (m.name != BASELINE, m.name)):
        ms = cpu_ms_per_document(m)
        ratio = f"{ms / base_ms:.2f}×" if base_ms and m.documents else "–"
        rate = per_second(m.documents, m.wall_seconds)
        lines.append(f"| {m.name} | {m.documents} | {rate:.1f} | {ms:.1f} | {ratio} |")
    return "\n".join(lines)


def _topics(fmt: str, count: int) -> list[str]:
    return [f"{fmt.capitalize()} story {n}" for n in range(count)]


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _text(topic: str) -> bytes:
    return ("\n\n".join(story(topic))).encode()


def files_for(fmt: str, count: int) -> dict[str, bytes]:
    """File name → bytes holding ``count`` articles of format ``fmt``."""
    topics = _topics(fmt, count)
    one: dict[str, Callable[[str], bytes]] = {
        "text": _text,
        "html": lambda t: html_page(t, story(t)).encode(),
        "markdown": lambda t: markdown(t, story(t), date="2024-04-02", url="https://md.example/x"),
        "eml": lambda t: eml(t, story(t), when=WHEN, message_id=f"{abs(hash(t))}@example.org"),
        "docx": lambda t: docx(t, story(t)),
        "pdf": lambda t: pdf([[t, *wrapped(story(t))]], title=t),
    }
    suffix = {"text": "txt", "html": "html", "markdown": "md", "eml": "eml", "docx": "docx", "pdf": "pdf"}
    if fmt in one:
        return {f"doc{n:04d}.{suffix[fmt]}": one[fmt](t) for n, t in enumerate(topics)}
    items = [
        (f"id-{n}", t, f"https://x.example/{n}", "".join(f"<p>{p}</p>" for p in story(t)))
        for n, t in enumerate(topics)
    ]
    if fmt == "warc.gz":
        pages = [(url, "text/html; charset=utf-8", html_page(t, story(t))) for _, t, url, _ in items]
        return {"crawl.warc.gz": warc(pages, gzip=True)}
    if fmt == "rss":
        return {"feed.rss": rss(items)}
    if fmt == "atom":
        return {"feed.atom": atom(items)}
    if fmt == "json":
        return {
            "articles.json": json_articles(
                [{"id": i, "title": t, "text": "\n\n".join(story(t))} for i, t, _, _ in items]
            )
        }
    if fmt == "jsonl":
        lines = [json.dumps({"id": i, "title": t, "text": "\n\n".join(story(t))}) for i, t, _, _ in items]
        return {"batch.jsonl": ("\n".join(lines) + "\n").encode()}
    if fmt == "zip":
        return {"bundle.zip": zipped({f"a{n}.txt": _text(t) for n, t in enumerate(topics)})}
    if fmt == "tar.gz":
        return {"bundle.tar.gz": _tar_gz({f"a{n}.txt": _text(t) for n, t in enumerate(topics)})}
    raise ValueError(f"unknown format {fmt}")


FORMATS = [
    "text",
    "html",
    "markdown",
    "eml",
    "docx",
    "pdf",
    "warc.gz",
    "rss",
    "atom",
    "json",
    "jsonl",
    "zip",
    "tar.gz",
]


def measure(fmt: str, count: int, workdir: Path) -> Measure:
    from ingest_worker.offline import run_offline

    folder = workdir / fmt.replace(".", "_")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, body in files_for(fmt, count).items():
        (folder / name).write_bytes(body)
        paths.append(str(folder / name))
    cpu, wall = time.process_time(), time.perf_counter()
    stored = sum(
        1 for row in run_offline(paths, collection="bench", dedup=False) if row["status"] == "stored"
    )
    return Measure(fmt, stored, time.perf_counter() - wall, time.process_time() - cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=60, help="articles per format")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        measure(BASELINE, 5, Path(tmp) / "warmup")
        measures = [measure(fmt, args.docs, Path(tmp)) for fmt in FORMATS]
    text = "\n".join(
        [
            "## Throughput per format (offline, one process)",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {_cpu_model()}, 2 shared cores",
            f"- command: `make bench-formats` (`.venv/bin/python -m bench.formats --docs {args.docs}`)",
            "- each format holds the same kind of article (`tests/format_samples.story`, four paragraphs);",
            "  whole pipeline through `run_offline`, dedup off; CPU is `time.process_time`, one core.",
            "- documents/s is wall time on shared cores (noisy when other work runs); CPU ms/document"
            " is the steadier figure.",
            "",
            table(measures),
            "",
            f"Wall time {time.perf_counter() - started:.0f} s.",
        ]
    )
    print(text)
    if not args.no_write:
        write_section(text, START, END)


if __name__ == "__main__":
    main()
