"""Author extraction against a hand-checked dev set of trafilatura-eval pages.

    .venv/bin/python -m bench.quality.authors [--processes 2] [--no-write] [--show-errors]

Each page of ``data/authors.json`` goes through the real pipeline in HTML mode (as in
``bench.quality.run``, dedup off); the record's ``authors`` are compared by name with the
hand-checked answer after folding case, accents, punctuation and white space. Precision:
of the names given, how many are right; recall: of the right names, how many were given;
pages exact: the whole list right (an empty answer counts when the page credits nobody).
In the same run, trafilatura's ``bare_extraction`` author (its "; "-joined list) is scored
as a reference. Results go to bench/RESULTS.md between the ``authors`` markers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any, ClassVar

from bench.quality.run import (
    CORPUS,
    Counts,
    _cpu_model,
    _decode,
    init_worker,
    pipeline_record,
    write_section,
)

DEV_SET = Path(__file__).resolve().parent / "data" / "authors.json"
START, END = "<!-- authors:start -->", "<!-- authors:end -->"
PIPELINE, TRAFILATURA = "pipeline, HTML mode", "trafilatura bare_extraction"
_PUNCT = re.compile(r"[^\w\s]")


def fold(name: str) -> str:
    """Comparison key of a name: no accents, case, punctuation or extra white space."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return " ".join(_PUNCT.sub(" ", stripped).casefold().split())


@dataclass
class Tally(Counts):
    """Name-level counts and exact pages, summed over the dev set."""

    EMPTY_PRECISION: ClassVar[float] = 1.0  # no name given is no wrong name

    pages: int = 0
    exact: int = 0
    wrong: list[str] = field(default_factory=list)

    def add_page(self, page: str, given: list[str], truth: list[str]) -> None:
        given_keys = list(dict.fromkeys(fold(name) for name in given if fold(name)))
        truth_keys = {fold(name) for name in truth}
        hits = sum(1 for key in given_keys if key in truth_keys)
        self.tp += hits
        self.fp += len(given_keys) - hits
        self.fn += len(truth_keys) - hits
        self.pages += 1
        if set(given_keys) == truth_keys:
            self.exact += 1
        else:
            self.wrong.append(f"{page}: gave {given} want {truth}")


def load_dev_set(path: Path = DEV_SET) -> list[dict[str, Any]]:
    """The hand-checked pages: file, url, authors, note."""
    pages: list[dict[str, Any]] = json.loads(path.read_text())["pages"]
    return pages


def trafilatura_authors(html: str) -> list[str]:
    """trafilatura's author field, split back into names ("A; B")."""
    from trafilatura import bare_extraction

    try:
        found = bare_extraction(html, with_metadata=True)
    except Exception:
        return []
    author = getattr(found, "author", None) if found is not None else None
    if isinstance(found, dict):
        author = found.get("author")
    return [name.strip() for name in (author or "").split(";") if name.strip()]


def _page(page: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    raw = gzip.decompress((CORPUS / "html" / f"{page['file']}.gz").read_bytes())
    record = pipeline_record(raw, "text/html", page["file"])
    return page["file"], record.authors if record else [], trafilatura_authors(_decode(raw))


def run(processes: int = 2) -> tuple[dict[str, Tally], int]:
    """Both extractors over the dev set: a tally each, and the page count."""
    pages = load_dev_set()
    truth = {page["file"]: page["authors"] for page in pages}
    tallies = {PIPELINE: Tally(), TRAFILATURA: Tally()}
    with Pool(min(processes, 2), initializer=init_worker, initargs=(("html",),)) as pool:
        for name, ours, theirs in pool.imap(_page, pages, chunksize=4):
            tallies[PIPELINE].add_page(name, ours, truth[name])
            tallies[TRAFILATURA].add_page(name, theirs, truth[name])
    return tallies, len(pages)


def report(tallies: dict[str, Tally], pages: int, command: str, seconds: float) -> str:
    """The RESULTS.md section: setup, then one row per extractor."""
    credited = sum(1 for page in load_dev_set() if page["authors"])
    lines = [
        "## Authors (hand-checked dev set)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {_cpu_model()}",
        f"- command: `{command}`; wall time {seconds:.0f} s",
        f"- pages: {pages} of trafilatura-eval ({credited} credit authors, "
        f"{pages - credited} credit nobody);",
        "  answers checked by hand from each page's evidence (bench/quality/data/authors.json).",
        "- names compared after folding case, accents, punctuation and white space; precision: of the",
        "  names given, how many are right; recall: of the right names, how many were given;",
        "  exact: pages whose whole list is right (an empty list on a page that credits nobody counts).",
        "",
        "| extractor | P | R | F1 | names right / given / wanted | pages exact |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, tally in tallies.items():
        lines.append(
            f"| {name} | {tally.precision:.3f} | {tally.recall:.3f} | {tally.f1:.3f} "
            f"| {tally.tp} / {tally.tp + tally.fp} / {tally.tp + tally.fn} | {tally.exact}/{tally.pages} |"
        )
    return "\n".join(lines)


def section(processes: int = 2) -> str:
    """The markdown section, measured now; for ``bench.quality.run`` or anyone else."""
    started = time.time()
    tallies, pages = run(processes)
    return report(tallies, pages, ".venv/bin/python -m bench.quality.authors", time.time() - started)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="worker processes (at most 2)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--show-errors", action="store_true", help="list the pages each extractor got wrong")
    args = parser.parse_args(list(argv) if argv is not None else None)
    started = time.time()
    tallies, pages = run(args.processes)
    text = report(tallies, pages, ".venv/bin/python -m bench.quality.authors", time.time() - started)
    if args.show_errors:
        for name, tally in tallies.items():
            print(f"--- {name}: {len(tally.wrong)} pages wrong")
            print("\n".join(tally.wrong))
    print(text)
    if not args.no_write:
        write_section(text, START, END)


if __name__ == "__main__":
    main()
