"""CPU cost of the plain-text stages per typical 5 KB article (one core, median).

    .venv/bin/python -m bench.text_speed [--limit N] [--no-write]

Documents: the whole-page text of the trafilatura-eval pages (``html_text``, as in
bench.quality), each cut at a line boundary to about 5 KB, plus the two shared samples.
Only the plain-text stages are timed (segment, repeats, source_history, boilerplate, metadata,
paragraphs), with ``time.process_time`` around each document, after one warm-up pass that loads
the language model and fills no cache the measured pass relies on (date caches are cleared).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path

from bench.quality.run import CORPUS, _cpu_model, _decode, write_section

SAMPLES = Path("/work/shared/samples")
TARGET_BYTES = 5000
START, END = "<!-- text-speed:start -->", "<!-- text-speed:end -->"


def documents(limit: int | None) -> list[str]:
    import html_text

    docs = [path.read_text("utf-8") for path in sorted(SAMPLES.glob("*.txt"))]
    entries = list(json.loads((CORPUS / "evaldata.json").read_text()).values())[:limit]
    for entry in entries:
        html = _decode(gzip.decompress((CORPUS / "html" / f"{entry['file']}.gz").read_bytes()))
        try:
            text = html_text.extract_text(html, guess_layout=True)
        except Exception:
            continue
        if len(text.encode("utf-8")) >= TARGET_BYTES * 0.8:
            docs.append(_cut(text))
    return docs


def _cut(text: str) -> str:
    """About 5 KB from the start, ending at a line boundary."""
    head = text.encode("utf-8")[:TARGET_BYTES].decode("utf-8", errors="ignore")
    return head.rsplit("\n", 1)[0] if "\n" in head else head


def measure(docs: list[str]) -> list[float]:
    from ingest_worker.pipeline.base import Article, Reject, StageContext
    from ingest_worker.pipeline.profiles import MemorySourceProfiles
    from ingest_worker.pipeline.text import text_stages
    from ingest_worker.pipeline.text.dates import _parse_cached

    stages = text_stages()

    def once(text: str, ctx: StageContext) -> float:
        doc = Article(raw=b"", content_type="text/plain", text=text)
        started = time.process_time()
        try:
            for stage in stages:
                doc = stage(doc, ctx)
        except Reject:
            pass
        return time.process_time() - started

    warm = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    for text in docs[:20]:
        once(text, warm)
    _parse_cached.cache_clear()
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    return [once(text, ctx) for text in docs]


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per 5 KB document, plain-text stages")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    docs = documents(args.limit)
    times = sorted(1000 * t for t in measure(docs))
    median = statistics.median(times)
    p90 = times[int(len(times) * 0.9)]
    sizes = statistics.median(len(d.encode("utf-8")) for d in docs)
    import platform
    from datetime import UTC, datetime

    text = "\n".join(
        [
            "## Plain-text stages: CPU per document",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {_cpu_model()}",
            "- command: `.venv/bin/python -m bench.text_speed`"
            + (f" --limit {args.limit}" if args.limit else ""),
            f"- documents: {len(docs)} (eval pages as whole-page text cut to ~5 KB, plus the 2 samples);"
            f" median size {sizes / 1000:.1f} KB",
            "- stages timed: segment, repeats, source_history, boilerplate, metadata, paragraphs;"
            " `time.process_time`, one core",
            "",
            f"| median | p90 | max | target |\n| --- | --- | --- | --- |\n"
            f"| {median:.2f} ms | {p90:.2f} ms | {times[-1]:.2f} ms | ≤ 1.5 ms median (issue 7) |",
        ]
    )
    print(text)
    if not args.no_write:
        write_section(text, START, END)


if __name__ == "__main__":
    main()
