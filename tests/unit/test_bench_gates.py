"""``bench.gates``: each gated pattern timed alone and behind its gate, on the same lines."""

from __future__ import annotations

import re

import pytest

from bench import gates
from ingest_worker.pipeline.text import classify
from ingest_worker.pipeline.text.leads import Gated


def test_every_gated_pattern_gets_a_row_with_both_timings() -> None:
    figures = gates.run(200)
    assert [name for name, *_ in figures] == [
        "shortdoc._NOT_ARTICLE",
        "classify._COMMENT_HEAD",
        "classify._POST_META",
        "classify._DISCLOSURE",
        "classify._CONSENT",
    ]
    assert all(alone > 0 and gated > 0 and 0 <= passing <= 1 for _, alone, gated, passing in figures)
    text = gates.report(figures, 200, "cmd")
    assert text.count("\n| `") == len(figures) and "`cmd`" in text


def test_a_gate_that_changes_an_answer_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # the regex alone matches every line; no line holds the piece, so the gate turns all away
    monkeypatch.setattr(classify, "_CONSENT", Gated(re.compile(r"\w"), ["\x00never"]))
    with pytest.raises(SystemExit, match="changed the answer"):
        gates.run(50)
