"""The record the worker builds carries published_at's precision beside it."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.base import Article
from ingest_worker.record import build_record


def _record(published_at: str | None) -> dict[str, object]:
    doc = Article(
        raw=b"x", collection="news", body="Body.", content_sha256="0" * 64, published_at=published_at
    )
    record = build_record(
        doc,
        record_id="01ARZ3NDEKTSV4RRFFQ69G5FAV",
        job_id=None,
        sha256="1" * 64,
        raw_key=None,
        pipeline_version="t",
    )
    return record.model_dump(mode="json")


@pytest.mark.parametrize(
    ("published_at", "precision"),
    [("2021-07-01", "day"), ("2021-07-01T10:20:00+00:00", "minute"), ("2021-07-01T10:20:37+00:00", "second")],
)
def test_a_dated_record_says_how_precise_its_date_is(published_at: str, precision: str) -> None:
    record = _record(published_at)
    assert record["published_at"] == published_at
    assert record["published_at_precision"] == precision


def test_an_undated_record_has_no_precision() -> None:
    assert _record(None)["published_at_precision"] is None
