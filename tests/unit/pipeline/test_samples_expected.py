"""Every entry of /work/shared/samples/expected.json holds through ``ingest process`` (run_offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest_worker.offline import run_offline

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
EXPECTED: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text()) if SAMPLES.exists() else {}
CASES = sorted(name for name in EXPECTED if name.endswith(".txt"))

pytestmark = pytest.mark.skipif(not CASES, reason="shared samples not present")


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    results = run_offline([str(SAMPLES / name) for name in CASES], dedup=False)
    return {Path(result["input"]).name: result for result in results}


def _field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value[part] if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize("name", CASES)
def test_sample_is_stored_with_every_expected_field(records: dict[str, dict[str, Any]], name: str) -> None:
    result = records[name]
    assert result["status"] == "stored", result["error"]
    for dotted, expected in EXPECTED[name].get("fields", {}).items():
        assert _field(result["record"], dotted) == expected, dotted


@pytest.mark.parametrize("name", CASES)
def test_sample_text_starts_contains_and_omits_what_is_expected(
    records: dict[str, dict[str, Any]], name: str
) -> None:
    expected, text = EXPECTED[name], records[name]["record"]["text"]
    assert text.startswith(expected["text_starts_with"])
    for snippet in expected.get("text_must_contain", []):
        assert snippet in text
    for snippet in expected.get("text_must_not_contain", []):
        assert snippet not in text


@pytest.mark.parametrize("name", CASES)
def test_sample_has_the_expected_number_of_paragraphs(records: dict[str, dict[str, Any]], name: str) -> None:
    text = records[name]["record"]["text"]
    assert "\n\n\n" not in text
    assert len(text.split("\n\n")) == EXPECTED[name]["paragraphs"]


def test_each_removed_line_says_why(records: dict[str, dict[str, Any]]) -> None:
    removed = records["001_97712b54962e7890.txt"]["record"]["boilerplate"]["removed"]
    reasons = {entry["text"]: entry["reason"] for entry in removed}
    assert reasons["1 Jul 2021"] == "date"
    assert reasons["Follow TKG on Twitter & Facebook"] == "follow_prompt"
    assert "repeated_headline" in reasons.values()
    assert records["001_97712b54962e7890.txt"]["record"]["source"]["site_name"] == "TKG"
