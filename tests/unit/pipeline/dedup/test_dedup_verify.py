"""Verification: copies pass, same-event stories and recurring reports do not."""

from __future__ import annotations

import numpy as np

from ingest_worker.pipeline.dedup.minhash import MAX_NUMBERS, Fingerprint, fingerprint
from ingest_worker.pipeline.dedup.verify import (
    Candidate,
    absorb,
    decide,
    figures_agree,
    figures_compared,
    merge_figures,
    verify,
)

REPORT = (
    "Weekly fuel prices. Petrol rose to 1.85 euros a litre this week, diesel to 1.72 euros, "
    "and heating oil to 98.40 euros per 100 litres. The regional average was 1.81 euros, while "
    "the cheapest station in town charged 1.69 euros. Analysts expect prices to stay near these "
    "levels. " * 3
)


def test_a_recurring_report_with_other_figures_is_not_a_copy() -> None:
    next_week = (
        REPORT.replace("1.85", "1.91")
        .replace("1.72", "1.78")
        .replace("98.40", "97.10")
        .replace("1.81", "1.86")
    )
    verdict = verify(fingerprint(next_week), fingerprint(REPORT), threshold=0.6)
    assert verdict.similarity > 0.95
    assert not verdict.duplicate


def test_a_copy_with_a_dated_header_and_a_cut_ending_is_a_copy() -> None:
    copy = "Published 12 March 2024, 10:30 | Comments (5)\n\n" + REPORT[: len(REPORT) * 2 // 3]
    verdict = verify(fingerprint(copy), fingerprint(REPORT), threshold=0.6)
    assert verdict.duplicate


def test_a_figure_ocr_lengthened_does_not_count_as_a_changed_figure() -> None:
    shared, differing = figures_compared(
        fingerprint("the price was 1850 dollars").numbers, fingerprint("the price was 18550 dollars").numbers
    )
    assert (shared, differing) == (1, 0)


def test_figures_disagree_when_more_than_a_fifth_of_them_differ_or_one_of_two() -> None:
    assert figures_agree(10, 2)
    assert not figures_agree(10, 3)
    assert not figures_agree(1, 1)
    assert not figures_agree(2, 1)  # a report with two figures, one changed: the next edition
    assert figures_agree(3, 1)  # one OCR slip among three
    assert figures_agree(0, 0)


def test_a_figure_that_gained_or_lost_one_digit_may_be_ocr_but_not_one_that_changed_more() -> None:
    from ingest_worker.pipeline.dedup.verify import _changed

    assert not _changed(4, 5) and not _changed(2, 1)
    assert _changed(4, 4) and _changed(1, 4)


def test_merged_figures_keep_the_smallest_hashes() -> None:
    a = tuple(range(0, 2 * MAX_NUMBERS, 2))
    b = tuple(range(1, 2 * MAX_NUMBERS, 2))
    assert merge_figures(a, b) == tuple(range(MAX_NUMBERS))


def test_absorbing_a_copy_gives_the_union_signature() -> None:
    a = Fingerprint(np.array([5, 1, 9, 4], dtype=np.uint16), 100, (1,))
    b = Fingerprint(np.array([3, 1, 9, 7], dtype=np.uint16), 50, (2,))
    grown = absorb(a, b)
    assert grown.signature.tolist() == [3, 1, 9, 4]
    assert grown.numbers == (1, 2)
    assert 100 <= grown.size <= 150


def test_decide_prefers_the_copy_whose_figures_agree_and_lists_the_rest() -> None:
    query = fingerprint(REPORT)
    older = fingerprint(REPORT.replace("1.85", "1.99").replace("1.72", "1.11").replace("98.40", "91.40"))
    same = fingerprint(REPORT + " Source: agency.")
    outcome = decide(
        query,
        [Candidate(1, "older", older, 0), Candidate(2, "same", same, 0)],
        threshold=0.6,
        report_threshold=0.5,
    )
    assert outcome.duplicate_of is not None and outcome.duplicate_of.record_id == "same"
    alone = decide(query, [Candidate(1, "older", older, 0)], threshold=0.6, report_threshold=0.5)
    assert alone.duplicate_of is None
    assert [rid for rid, _ in alone.near_duplicates] == ["older"]
