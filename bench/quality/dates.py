"""Publication dates on the hand-checked dev set: the pipeline beside htmldate, in one run.

    .venv/bin/python -m bench.quality.dates [--no-write]

The dev set (``data/dates.json``, how it was judged is in its header) gives each page's
publication day, or null when the page shows none. Each page goes through the real pipeline
in HTML mode (``run.pipeline_record``, dedup off, the page's URL as ``source_url``) and
through ``htmldate.find_date`` with ``original_date=True`` (the publication date, not the
last change), fast (``extensive_search=False``) and extensive, given the same URL.

Metric, a day as unit: a page counts as right when the predicted day equals the gold day,
or when both are null; a date where gold is null is wrong and so is null where gold has a
date. Precision: of the dates given, how many are right. Coverage: pages given a date.
CPU is ``time.process_time`` per page: for htmldate its whole call (it parses the page);
for the pipeline the date step alone (``meta.published_at`` on the already-parsed tree)
and, for scale, the whole pipeline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.quality import run as quality

DEV_SET = Path(__file__).resolve().parent / "data" / "dates.json"
START, END = "<!-- dates:start -->", "<!-- dates:end -->"
COMMAND = ".venv/bin/python -m bench.quality.dates"
PIPELINE, FAST, EXTENSIVE = "pipeline (HTML mode)", "htmldate fast", "htmldate extensive"


@dataclass
class Tally:
    """Answers of one extractor over the dev set."""

    pages: int = 0
    right: int = 0
    given: int = 0
    given_right: int = 0
    cpu: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, predicted: str | None, gold: str | None, cpu: float) -> None:
        day = predicted[:10] if predicted else None
        self.pages += 1
        self.cpu += cpu
        self.given += day is not None
        if day == gold:
            self.right += 1
            self.given_right += day is not None
        else:
            self.misses.append(f"{name}: gold {gold}, got {predicted}")

    @property
    def accuracy(self) -> float:
        return self.right / self.pages if self.pages else 0.0

    @property
    def precision(self) -> float:
        return self.given_right / self.given if self.given else 0.0

    @property
    def coverage(self) -> float:
        return self.given / self.pages if self.pages else 0.0


def dev_set(path: Path = DEV_SET) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = json.loads(path.read_text())["pages"]
    return pages


def _timed(function: Callable[..., Any]) -> tuple[Callable[..., Any], list[float]]:
    """The function, and a list that collects the CPU seconds of each call to it."""
    spent: list[float] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.process_time() - started)

    return wrapper, spent


def run(pages: list[dict[str, Any]]) -> tuple[dict[str, Tally], float]:
    """Every extractor on every page, in this process (CPU times are comparable)."""
    from htmldate import find_date

    from ingest_worker.pipeline.html import meta
    from ingest_worker.pipeline.html.dates import htmldate_as_released

    quality.init_worker(("html",))
    date_step, spent = _timed(meta.published_at)
    meta.published_at = date_step  # read_metadata looks it up here
    tallies = {PIPELINE: Tally(), FAST: Tally(), EXTENSIVE: Tally()}
    whole_pipeline = 0.0
    for page in pages:
        raw = gzip.decompress((quality.CORPUS / "html" / f"{page['file']}.gz").read_bytes())
        url, gold = page["url"], page["published"]
        spent.clear()
        started = time.process_time()
        record = quality.pipeline_record(raw, "text/html", page["file"], source_url=url)
        whole_pipeline += time.process_time() - started
        found = record.published_at if record else None
        tallies[PIPELINE].add(page["file"], found, gold, sum(spent))
        html = quality._decode(raw)
        for name, extensive in ((FAST, False), (EXTENSIVE, True)):
            with htmldate_as_released():  # htmldate itself, not as the pipeline calls it
                started = time.process_time()
                try:
                    found = find_date(html, url=url, extensive_search=extensive, original_date=True)
                except Exception:
                    found = None
                tallies[name].add(page["file"], found, gold, time.process_time() - started)
    return tallies, whole_pipeline / len(pages) if pages else 0.0


def report(tallies: dict[str, Tally], pipeline_cpu: float, pages: list[dict[str, Any]]) -> str:
    """The RESULTS.md section."""
    machine = f"{platform.machine()}, {quality._cpu_model()}"
    dated = sum(page["published"] is not None for page in pages)
    lines = [
        "## Publication dates (hand-checked dev set)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine}",
        f"- command: `{COMMAND}`; pages: {len(pages)} ({dated} with a publication day, "
        f"{len(pages) - dated} without)",
        "- dev set: `bench/quality/data/dates.json`, trafilatura-eval pages judged by hand (method in its",
        "  header). Pipeline: HTML mode, the page URL as `source_url`; htmldate: `find_date(html, url=...,",
        "  original_date=True)`, fast and extensive.",
        "- accuracy: a day as unit, null right only where the page has no date; precision: right among",
        "  the dates given; coverage: pages given a date. CPU per page: htmldate's whole call (it parses",
        "  the page); the pipeline's date step on its already-parsed tree.",
        "",
        "| extractor | accuracy | precision | coverage | CPU ms/page |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, tally in tallies.items():
        lines.append(
            f"| {name} | {tally.accuracy:.3f} | {tally.precision:.3f} | {tally.coverage:.3f} "
            f"| {1000 * tally.cpu / max(tally.pages, 1):.1f} |"
        )
    lines.append("")
    lines.append(f"The whole pipeline (extraction included) took {1000 * pipeline_cpu:.0f} ms CPU per page.")
    return "\n".join(lines)


def section(pages: list[dict[str, Any]] | None = None) -> str:
    """Runs the benchmark and returns its markdown section (for ``bench.quality.run`` too)."""
    pages = dev_set() if pages is None else pages
    tallies, pipeline_cpu = run(pages)
    return report(tallies, pipeline_cpu, pages)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--misses", action="store_true", help="also list each extractor's wrong answers")
    args = parser.parse_args(list(argv) if argv is not None else None)
    pages = dev_set()
    started = time.time()
    tallies, pipeline_cpu = run(pages)
    text = report(tallies, pipeline_cpu, pages) + f"\nWall time {time.time() - started:.0f} s."
    print(text)
    if args.misses:
        for name, tally in tallies.items():
            print(f"\n### {name}: {len(tally.misses)} wrong")
            print("\n".join(tally.misses))
    if not args.no_write:
        quality.write_section(text, START, END)


if __name__ == "__main__":
    main()
