"""The in-memory index: the same decisions the shared Redis index makes (checked in
tests/integration/test_dedup_concurrency_index.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest_worker.pipeline.dedup import DedupDecision, MemoryDedupIndex, fingerprint

SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "samples"
NOW = 1_750_000_000.0


def _body(name: str) -> str:
    return (SAMPLES / name).read_text("utf-8")


def _add(
    index: MemoryDedupIndex, rid: str, body: str, collection: str = "c", now: float = NOW
) -> DedupDecision:
    return index.check_and_add(
        collection, rid, hashlib.sha256(body.encode()).hexdigest(), fingerprint(body), now=now
    )


def test_an_exact_repeat_is_a_duplicate_with_similarity_one() -> None:
    index = MemoryDedupIndex()
    body = _body("000_db929eefe4fa1c71.txt")
    assert _add(index, "a", body) == DedupDecision()
    assert _add(index, "b", body) == DedupDecision(duplicate_of="a", similarity=1.0)


def test_the_same_body_under_another_header_and_footer_is_a_duplicate() -> None:
    index = MemoryDedupIndex()
    body = _body("001_97712b54962e7890.txt")
    _add(index, "a", body)
    wrapped = "Kabul Daily — World news\n\n" + body + "\n\nShare this story. © 2024 Kabul Daily"
    decision = _add(index, "b", wrapped)
    assert decision.duplicate_of == "a"
    assert decision.similarity is not None and decision.similarity > 0.9


def test_the_two_sample_articles_about_one_event_are_both_kept() -> None:
    index = MemoryDedupIndex()
    assert _add(index, "a", _body("000_db929eefe4fa1c71.txt")).duplicate_of is None
    assert _add(index, "b", _body("001_97712b54962e7890.txt")).duplicate_of is None


def test_a_redelivered_record_gets_its_first_decision_and_is_not_its_own_duplicate() -> None:
    index = MemoryDedupIndex()
    body = _body("000_db929eefe4fa1c71.txt")
    first = _add(index, "a", body)
    assert _add(index, "a", body, now=NOW + 30) == first
    copy = _add(index, "b", body + "\n\nPOST COMMENTS (3)")
    assert _add(index, "b", body + "\n\nPOST COMMENTS (3)", now=NOW + 30) == copy


def test_collections_are_separate() -> None:
    index = MemoryDedupIndex()
    body = _body("000_db929eefe4fa1c71.txt")
    _add(index, "a", body, collection="one")
    assert _add(index, "b", body, collection="two").duplicate_of is None


def test_a_window_forgets_older_articles() -> None:
    index = MemoryDedupIndex(window_days=2)
    body = _body("000_db929eefe4fa1c71.txt")
    _add(index, "a", body)
    assert _add(index, "b", body, now=NOW + 86_400).duplicate_of == "a"
    assert _add(index, "c", body, now=NOW + 3 * 86_400).duplicate_of is None


def test_a_record_without_a_fingerprint_is_checked_for_exact_copies_only() -> None:
    index = MemoryDedupIndex()
    sha = hashlib.sha256(b"x").hexdigest()
    assert index.check_and_add("c", "a", sha, now=NOW) == DedupDecision()
    assert index.check_and_add("c", "b", sha, now=NOW).duplicate_of == "a"
