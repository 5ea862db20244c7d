"""The command line of the benchmarks that time N calls of each operation (S3 clients, servers).

Such a module has ``run(calls)``, ``report(figures, calls, command)`` and its RESULTS.md
markers ``START`` and ``END``; its ``main`` is ``calls_main(argv, <the module>, <default>)``.
"""

from __future__ import annotations

import argparse
from types import ModuleType

from bench.quality.run import write_section


def calls_main(argv: list[str] | None, bench: ModuleType, default_calls: int) -> None:
    """Parses ``--calls``/``--no-write``, prints the module's report and writes it to
    bench/RESULTS.md between its markers unless told not to."""
    doc = bench.__doc__
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--calls", type=int, default=default_calls)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    name = bench.__spec__.name if bench.__spec__ else bench.__name__  # run with -m, it is __main__
    command = f".venv/bin/python -m {name} --calls {args.calls}"
    text: str = bench.report(bench.run(args.calls), args.calls, command)
    print(text)
    if not args.no_write:
        write_section(text, bench.START, bench.END)
