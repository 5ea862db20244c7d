"""The uploader's hints as the stages see them: dates only as ISO 8601, as the record promises."""

from __future__ import annotations

import pytest

from ingest_core.tasks import Hints
from ingest_worker.pipeline.formats.hints import hinted_date
from ingest_worker.process import DocumentInput, to_article


@pytest.mark.parametrize(
    ("hint", "published_at"),
    [
        ("2021-07-01", "2021-07-01"),
        ("2021-07-01T10:20:37+02:00", "2021-07-01T10:20:37+02:00"),
        ("2021-07-01 10:20", "2021-07-01T10:20"),
        ("July 2, 2021", "2021-07-02"),
        ("2. Juli 2021", "2021-07-02"),
    ],
)
def test_a_date_hint_becomes_iso_8601(hint: str, published_at: str) -> None:
    assert hinted_date(hint) == (published_at, None)


@pytest.mark.parametrize("hint", ["yesterday", "2021-13-45", "1625134837", "0001-01-01T00:00:00+14:00"])
def test_a_hint_that_is_no_date_is_ignored_with_a_warning(hint: str) -> None:
    published_at, warning = hinted_date(hint)
    assert published_at is None
    assert warning is not None and hint[:20] in warning


def test_no_hint_is_no_warning() -> None:
    assert hinted_date(None) == (None, None)
    assert hinted_date("  ") == (None, None)


def test_the_article_carries_the_iso_date_and_the_warning_reaches_the_record() -> None:
    dated = to_article(
        DocumentInput(raw=b"x", collection="c", hints=Hints(published_at="July 2, 2021")), "r1"
    )
    assert dated.published_at == dated.declared_published_at == "2021-07-02"
    assert dated.warnings == []
    odd = to_article(
        DocumentInput(raw=b"x", collection="c", hints=Hints(published_at="soon", fetched_at="later")), "r2"
    )
    assert odd.published_at is None and odd.fetched_at is None
    assert len(odd.warnings) == 2


def test_a_fetched_at_that_looks_iso_but_names_no_day_is_ignored() -> None:
    hints = Hints(fetched_at="2021-13-45T00:00:00Z")
    doc = to_article(DocumentInput(raw=b"x", collection="c", hints=hints), "r")
    assert doc.fetched_at is None and doc.warnings
