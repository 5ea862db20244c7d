"""CPU cost of the HTML stage against trafilatura alone, on the same pages (one core).

    .venv/bin/python -m bench.html_speed [--limit N] [--no-write]

Pages: the trafilatura-eval set (990 real pages; ``--limit`` takes the first N, at least
200 for a figure worth writing). Each page is decoded once by the pipeline's own detect and
decode stages (not timed), then, in alternating order so neither side profits from a warm
cache, timed with ``time.process_time``:

- ``trafilatura.extract(html)`` with its defaults: what "trafilatura alone" costs;
- ``trafilatura.extract(html, with_metadata=True)``: the same with its own metadata readers;
- our ``ExtractHtml`` stage: guard, one parse, extraction, captions, line rules, per-source
  line statistics (in memory, as offline), metadata.

The target is the stage within 1.3x of trafilatura alone (total CPU over the pages).
Results go to bench/RESULTS.md between the ``html-speed`` markers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime

from bench.quality.run import CORPUS, _cpu_model, write_section

START, END = "<!-- html-speed:start -->", "<!-- html-speed:end -->"
TARGET = 1.3


def pages(limit: int | None) -> list[str]:
    """Decoded HTML of the eval pages, through the pipeline's own detect and decode stages."""
    from ingest_worker.pipeline.base import Article, Reject, StageContext
    from ingest_worker.pipeline.decode import Decode
    from ingest_worker.pipeline.detect import DetectFormat

    ctx = StageContext(dedup_enabled=False)
    entries = list(json.loads((CORPUS / "evaldata.json").read_text()).values())[:limit]
    htmls: list[str] = []
    for entry in entries:
        raw = gzip.decompress((CORPUS / "html" / f"{entry['file']}.gz").read_bytes())
        doc = Article(raw=raw, declared_content_type="text/html", filename=entry["file"])
        try:
            doc = Decode()(DetectFormat()(doc, ctx), ctx)
        except Reject:
            continue
        if doc.html is not None:
            htmls.append(doc.html)
    return htmls


def measure(htmls: list[str]) -> dict[str, list[float]]:
    """CPU seconds per page for each contender, the contenders' order rotating per page."""
    import trafilatura

    from ingest_worker.pipeline import warm_up
    from ingest_worker.pipeline.base import Article, Reject, StageContext
    from ingest_worker.pipeline.html import ExtractHtml
    from ingest_worker.pipeline.profiles import MemorySourceProfiles

    stage = ExtractHtml()
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)

    def ours(html: str) -> None:
        with suppress(Reject):
            stage(Article(raw=b"", content_type="text/html", html=html), ctx)

    contenders: dict[str, Callable[[str], object]] = {
        "trafilatura.extract (defaults)": trafilatura.extract,
        "trafilatura.extract (with_metadata)": lambda html: trafilatura.extract(html, with_metadata=True),
        "ExtractHtml stage": ours,
    }
    names = list(contenders)
    warm_up()  # the model and dateparser's tables, as a worker builds them before it forks
    for html in htmls[:5]:  # warm-up: imports, compiled XPaths, regexes
        for name in names:
            contenders[name](html)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index, html in enumerate(htmls):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.process_time()
            contenders[name](html)
            times[name].append(time.process_time() - started)
    return times


def report(times: dict[str, list[float]], command: str) -> str:
    base = times["trafilatura.extract (defaults)"]
    rows = []
    for name, values in times.items():
        ratio = sum(values) / sum(base)
        median_ratio = statistics.median(values) / statistics.median(base)
        rows.append(
            f"| {name} | {1000 * statistics.median(values):.1f} ms | {sum(values):.1f} s"
            f" | {ratio:.2f}x | {median_ratio:.2f}x |"
        )
    return "\n".join(
        [
            "## HTML stage: CPU per page against trafilatura alone",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {_cpu_model()}",
            f"- command: `{command}`",
            f"- pages: {len(base)} of the trafilatura-eval set, decoded by the pipeline first (not timed);"
            " `time.process_time` per page, contenders in rotating order, one core",
            f"- target: the stage's total within {TARGET}x of `trafilatura.extract` with its defaults",
            "- the stage includes per-source line statistics in memory (Redis online adds round trips,"
            " not CPU); detect/decode and normalise are other stages and are not timed here",
            "- one-time tables (the language model, dateparser's locales) are built before timing, as"
            " a worker builds them before it forks its pool (`pipeline.warm_up`)",
            "",
            "| contender | median per page | total | total vs trafilatura | median vs trafilatura |",
            "| --- | --- | --- | --- | --- |",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per page: HTML stage vs trafilatura alone")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (≥ 200 to write)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    htmls = pages(args.limit)
    command = ".venv/bin/python -m bench.html_speed" + (f" --limit {args.limit}" if args.limit else "")
    text = report(measure(htmls), command)
    print(text)
    if not args.no_write and len(htmls) >= 200:
        write_section(text, START, END)


if __name__ == "__main__":
    main()
