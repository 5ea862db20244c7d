"""The command line of the benchmarks that time N calls of each operation (S3 clients, servers)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bench.quality.run import write_section


def calls_main(
    argv: list[str] | None,
    *,
    module: str,
    doc: str | None,
    default_calls: int,
    render: Callable[[int, str], str],
    markers: tuple[str, str],
) -> None:
    """Parses ``--calls``/``--no-write``, prints ``render(calls, command)`` and writes it to
    bench/RESULTS.md between ``markers`` unless told not to."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--calls", type=int, default=default_calls)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    text = render(args.calls, f".venv/bin/python -m {module} --calls {args.calls}")
    print(text)
    if not args.no_write:
        write_section(text, *markers)
