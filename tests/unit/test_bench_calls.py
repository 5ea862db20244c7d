"""``bench.calls``: the command a benchmark writes is the one that reruns it."""

from __future__ import annotations

import importlib.machinery
import types

import pytest

from bench.calls import calls_main


def test_a_benchmark_run_with_dash_m_writes_its_module_name_not_main(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = types.ModuleType("__main__")  # what ``python -m bench.example`` makes of the module
    bench.__spec__ = importlib.machinery.ModuleSpec("bench.example", None)
    bench.run = lambda calls: calls  # type: ignore[attr-defined]
    bench.report = lambda figures, calls, command: f"{figures} calls: `{command}`"  # type: ignore[attr-defined]
    calls_main(["--calls", "7", "--no-write"], bench, default_calls=100)
    assert capsys.readouterr().out.strip() == "7 calls: `.venv/bin/python -m bench.example --calls 7`"
