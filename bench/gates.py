"""Gated regexes (``leads.Gated``): CPU per line, each regex alone against it behind its gate.

    .venv/bin/python -m bench.gates [--calls N] [--no-write]

Lines: those of generated articles (``bench.throughput.corpus``, full-size and short), as the
text stages hand them to each pattern: the short-document check sees a line's first 400
characters case-folded, the marked-line rules lines of at most 300 characters. ``--calls``
lines per pattern; three rounds alternating the two forms, the best round of each counts (a
shared machine's noise only slows a round). Both forms must find the same matches, or the
run stops.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.calls import calls_main
from bench.quality.run import _cpu_model

START, END = "<!-- gates:start -->", "<!-- gates:end -->"
ROUNDS = 3

Figures = list[tuple[str, float, float, float]]  # pattern, µs a line alone, gated, share passing the gate


def _lines(calls: int) -> dict[str, list[str]]:
    from bench.throughput.corpus import generate

    articles = generate(calls // 20 + 1, seed=7, prefix="g") + generate(
        calls // 10 + 1, seed=8, max_words=300
    )
    lines = [line.rstrip() for article in articles for line in article.as_txt().split("\n") if line.strip()]
    marked = [line for line in lines if len(line) <= 300]
    return {
        "shortdoc._NOT_ARTICLE": [line[:400].casefold() for line in marked][:calls],
        "marked": marked[:calls],
    }


def _per_line(search: Callable[[str], object], lines: list[str]) -> float:
    started = time.process_time()
    for line in lines:
        search(line)
    return (time.process_time() - started) / len(lines)


def run(calls: int) -> Figures:
    from ingest_worker.pipeline.text import classify, shortdoc
    from ingest_worker.pipeline.text.leads import Gated

    gated = {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}": value
        for module in (shortdoc, classify)
        for name, value in vars(module).items()
        if isinstance(value, Gated)
    }
    inputs = _lines(calls)
    figures: Figures = []
    for name, pattern in gated.items():
        lines = inputs.get(name, inputs["marked"])
        for line in lines:
            alone, behind = pattern.pattern.search(line), pattern.search(line)
            if (alone and alone.span()) != (behind and behind.span()):
                raise SystemExit(f"{name}: the gate changed the answer on {line!r}")
        alone_s, gated_s = [], []
        for _ in range(ROUNDS):
            alone_s.append(_per_line(pattern.pattern.search, lines))
            gated_s.append(_per_line(pattern.search, lines))
        passing = sum(map(pattern.admits, lines)) / len(lines)
        figures.append((name, min(alone_s) * 1e6, min(gated_s) * 1e6, passing))
    return figures


def report(figures: Figures, calls: int, command: str) -> str:
    rows = "\n".join(
        f"| `{name}` | {alone:.1f} µs | {gated:.1f} µs | {alone / gated:.1f}x | {passing:.0%} |"
        for name, alone, gated, passing in figures
    )
    return "\n".join(
        [
            "## Gated regexes: CPU per line, the regex alone and behind its gate",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {_cpu_model()}",
            f"- command: `{command}`",
            f"- {calls} lines per pattern from generated articles, as the text stages hand them over;"
            f" best of {ROUNDS} alternating rounds (`time.process_time`); same matches checked line by line",
            "",
            "| pattern | alone | gated | speed-up | lines past the gate |",
            "| --- | --- | --- | --- | --- |",
            rows,
        ]
    )


def main(argv: list[str] | None = None) -> None:
    import sys

    calls_main(argv, sys.modules[__name__], default_calls=10_000)


if __name__ == "__main__":
    main()
