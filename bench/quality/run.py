"""Extraction quality on the trafilatura evaluation set, in HTML and in plain-text mode.

    .venv/bin/python -m bench.quality.run [--limit N] [--mode html|text|both] [--processes 2]

Each page goes through the real pipeline (``process_document``, dedup off): as HTML
(content_type text/html) and as the whole-page text a browser's "save as text" gives
(``html_text.extract_text(html, guess_layout=True)``, fed as text/plain). The record's
``text`` is scored with the set's snippet metric (README): "with" snippets found are true
positives, "without" snippets found are false positives; precision, recall and F1 summed
over all pages, white space collapsed. Beside it, in the same run: trafilatura's own
``extract`` (default settings) and the unfiltered whole-page text. Pages count as English
when py3langid says so of their gold snippets. Results go to bench/RESULTS.md between the
``quality`` markers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ingest_core.schema import Record
    from ingest_worker.process import Outcome

CORPUS = Path("/work/shared/eval/trafilatura-eval")
RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"
_WS = re.compile(r"\s+")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    #: Precision when nothing was given: no snippet found is no precision; no name given is no error.
    EMPTY_PRECISION: ClassVar[float] = 0.0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else self.EMPTY_PRECISION

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(text: str, with_: list[str], without: list[str]) -> Counts:
    """The README's snippet metric for one page."""
    flat = _WS.sub(" ", text)
    counts = Counts()
    for snippet in with_:
        if _WS.sub(" ", snippet).strip() in flat:
            counts.tp += 1
        else:
            counts.fn += 1
    for snippet in without:
        if _WS.sub(" ", snippet).strip() in flat:
            counts.fp += 1
    return counts


_STATE: dict[str, Any] = {}


def init_worker(modes: tuple[str, ...] = ("html",)) -> None:
    """One pipeline and offline context per process (a Pool initializer)."""
    from ingest_worker.offline import make_offline_context
    from ingest_worker.pipeline import build_pipeline

    _STATE["pipeline"] = build_pipeline()
    _STATE["ctx"] = make_offline_context(dedup=False)
    _STATE["modes"] = modes


def _outcome(raw: bytes, content_type: str, name: str, source_url: str | None = None) -> Outcome:
    """What the real pipeline makes of one page (dedup off).

    ``init_worker`` runs first in the process (a Pool initializer does; else here).
    """
    from ingest_core.ids import new_id
    from ingest_core.tasks import Hints
    from ingest_worker.process import DocumentInput, process_document

    if not _STATE:
        init_worker(("html",))
    hints = Hints(source_url=source_url)
    item = DocumentInput(raw=raw, collection="bench", filename=name, content_type=content_type, hints=hints)
    return process_document(item, _STATE["pipeline"], _STATE["ctx"], record_id=new_id())


def pipeline_record(raw: bytes, content_type: str, name: str, source_url: str | None = None) -> Record | None:
    """The record the real pipeline makes of one page (dedup off); None when it is rejected."""
    return _outcome(raw, content_type, name, source_url).record


def _pipeline_text(raw: bytes, content_type: str, name: str) -> tuple[str | None, str | None]:
    """The record's text, or None and the reason when the pipeline rejects the page."""
    outcome = _outcome(raw, content_type, name)
    return (outcome.record.text, None) if outcome.record else (None, outcome.error or "rejected")


def _page(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    import html_text
    import py3langid
    import trafilatura

    _url, entry = job
    raw = gzip.decompress((CORPUS / "html" / f"{entry['file']}.gz").read_bytes())
    html = _decode(raw)
    with_, without = entry["with"], entry["without"]
    lang, _ = py3langid.classify(" ".join(with_))
    out: dict[str, Any] = {"english": lang == "en"}
    modes = _STATE["modes"]
    try:
        whole = html_text.extract_text(html, guess_layout=True)
    except Exception:
        whole = ""
    out["whole page (unfiltered)"] = score(whole, with_, without)
    out["trafilatura.extract"] = score(trafilatura.extract(html) or "", with_, without)
    rejected: list[tuple[str, str, str]] = []
    if "html" in modes:
        page_text, reason = _pipeline_text(raw, "text/html", entry["file"])
        out["pipeline, HTML mode"] = score(page_text or "", with_, without)
        rejected += [("HTML mode", entry["file"], reason)] if reason else []
    if "text" in modes:
        started = time.process_time()
        text, reason = _pipeline_text(whole.encode("utf-8"), "text/plain", entry["file"] + ".txt")
        out["cpu_text"] = time.process_time() - started
        out["pipeline, plain-text mode"] = score(text or "", with_, without)
        rejected += [("plain-text mode", entry["file"], reason)] if reason else []
    out["rejected"] = rejected
    return out


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        match = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", raw[:4096], re.I)
        try:
            return raw.decode(match.group(1).decode() if match else "cp1252", errors="replace")
        except LookupError:
            return raw.decode("cp1252", errors="replace")


#: Pages each pipeline mode rejected, filled by ``run`` (every eval page is an article or a
#: page with main text: a rejection is a loss).
REJECTED: dict[str, list[tuple[str, str]]] = {}


def run(
    limit: int | None, modes: tuple[str, ...], processes: int
) -> tuple[dict[str, dict[str, Counts]], int, float]:
    entries = list(json.loads((CORPUS / "evaldata.json").read_text()).items())[:limit]
    totals: dict[str, dict[str, Counts]] = {}
    cpu_text = 0.0
    with Pool(min(processes, 2), initializer=init_worker, initargs=(modes,)) as pool:
        for result in pool.imap(_page, entries, chunksize=8):
            cpu_text += result.pop("cpu_text", 0.0)
            english = result.pop("english")
            for mode, page, reason in result.pop("rejected"):
                REJECTED.setdefault(mode, []).append((page, reason))
            for name, counts in result.items():
                groups = totals.setdefault(
                    name, {"all": Counts(), "English": Counts(), "non-English": Counts()}
                )
                groups["all"].add(counts)
                groups["English" if english else "non-English"].add(counts)
    return totals, len(entries), cpu_text


def report(totals: dict[str, dict[str, Counts]], pages: int, command: str) -> str:
    machine = f"{platform.machine()}, {_cpu_model()}"
    lines = [
        "## Extraction quality (trafilatura-eval)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine}",
        f"- command: `{command}`; pages: {pages}",
        "- metric: the set's snippet metric (README), summed over pages, white space collapsed.",
        "  Only the record's `text` is scored (title, description, captions are separate fields and",
        "  are not searched), as trafilatura's figure scores its text. Dedup off.",
        "- English / non-English: py3langid on each page's gold snippets.",
        "- The plain-text line model was trained on these same pages, so its row here is",
        "  in-sample; the honest estimate for unseen pages is the cross-validated figure in",
        '  the section "Plain-text line model" below.',
        "",
        "| extractor | P | R | F1 | F1 English | F1 non-English |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, groups in totals.items():
        a = groups["all"]
        lines.append(
            f"| {name} | {a.precision:.3f} | {a.recall:.3f} | {a.f1:.3f} "
            f"| {groups['English'].f1:.3f} | {groups['non-English'].f1:.3f} |"
        )
    ran = [mode for mode in ("HTML mode", "plain-text mode") if f"pipeline, {mode}" in totals]
    refused = ", ".join(f"{mode} {len(REJECTED.get(mode, []))}" for mode in ran)
    lines += ["", f"Pages the pipeline rejected (of {pages}): {refused}."]
    for mode in ran:
        lines += [f"- {mode}: `{page}`: {reason}" for page, reason in sorted(REJECTED.get(mode, []))]
    return "\n".join(lines)


DEDUP_START, DEDUP_END = "<!-- quality-dedup:start -->", "<!-- quality-dedup:end -->"


def dedup_summary(seed: int = 20240601) -> str:
    """Duplicates on the dedup dev corpus (``bench.dedup``), memory index: cluster scores and
    the recurring reports and same-event stories wrongly merged. ``bench.dedup.run`` has the
    full section (baseline, Redis costs, speed)."""
    from bench.dedup.corpus import build
    from bench.dedup.run import body_of, clusters_from, run_ours
    from bench.dedup.run import score as cluster_score
    from ingest_worker.pipeline.dedup import MemoryDedupIndex

    corpus = build(seed)
    decisions = run_ours([(d.id, body_of(d.text)) for d in corpus.docs], MemoryDedupIndex())
    scores = cluster_score(corpus, clusters_from(decisions))
    p, r, f1 = scores["cluster"]
    merged, pairs = scores["must_not_merge"]
    return "\n".join(
        [
            "## Duplicates (dedup dev corpus, in this run)",
            "",
            f"- command: `.venv/bin/python -m bench.quality.run` (seed {seed}; more in `bench.dedup.run`)",
            f"- documents: {len(corpus.docs)}; clusters scored as in the dedup section",
            "",
            "| cluster P | cluster R | cluster F1 | recurring or same-event pairs merged |",
            "| --- | --- | --- | --- |",
            f"| {p:.3f} | {r:.3f} | {f1:.3f} | {merged} / {pairs} |",
        ]
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def write_section(text: str, start: str = START, end: str = END, path: Path = RESULTS) -> None:
    """Replaces only our own marked section of RESULTS.md; other sections are left as they are."""
    block = f"{start}\n{text}\n{end}"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        after = rest.split(end, 1)[1]
        updated = before + block + after
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(updated)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--mode", choices=("html", "text", "both"), default="both")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (at most 2)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--no-dates", action="store_true", help="skip the publication-date section")
    parser.add_argument("--no-authors", action="store_true", help="skip the author section")
    parser.add_argument("--no-dedup", action="store_true", help="skip the duplicates summary")
    args = parser.parse_args(list(argv) if argv is not None else None)
    modes = ("html", "text") if args.mode == "both" else (args.mode,)
    started = time.time()
    totals, pages, cpu_text = run(args.limit, modes, args.processes)
    command = ".venv/bin/python -m bench.quality.run" + (f" --limit {args.limit}" if args.limit else "")
    command += f" --mode {args.mode}" if args.mode != "both" else ""
    text = report(totals, pages, command)
    if "text" in modes and pages:
        text += (
            f"\n\nPlain-text mode, whole pipeline: {1000 * cpu_text / pages:.1f} ms CPU per page on average."
        )
    text += f"\nWall time {time.time() - started:.0f} s."
    print(text)
    if not args.no_write:
        write_section(text)
    if not args.no_dates and "html" in modes:
        from bench.quality import dates

        date_text = dates.section()
        print(date_text)
        if not args.no_write:
            write_section(date_text, dates.START, dates.END)
    if not args.no_authors and "html" in modes:
        from bench.quality import authors

        authors_text = authors.section(args.processes)
        print(authors_text)
        if not args.no_write:
            write_section(authors_text, authors.START, authors.END)
    if not args.no_dedup:
        dedup_text = dedup_summary()
        print(dedup_text)
        if not args.no_write:
            write_section(dedup_text, DEDUP_START, DEDUP_END)


if __name__ == "__main__":
    main()
