"""published_at typed: its precision and the instant it names, from the ISO text the pipeline writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest_core.dates import published_at_precision, published_timestamp
from ingest_core.schema import record_json_schema


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        ("2021-07-01", "day"),
        ("2021-07-01T10:20:00+00:00", "minute"),  # how a printed "10:20" is written
        ("2021-07-01T10:20:00", "minute"),
        ("2021-07-01T10:20", "minute"),
        ("2021-07-01T10:20:37+02:00", "second"),
        ("2021-07-01T10:20:37Z", "second"),
        ("2021-07-01T10:20:00.250Z", "second"),
        (None, None),
        ("", None),
        ("July 2, 2021", None),
        ("2021-07", None),
        ("2021-02-30", None),
    ],
)
def test_precision_is_read_from_the_iso_text(value: str | None, precision: str | None) -> None:
    assert published_at_precision(value) == precision


def test_a_date_alone_is_its_midnight_utc() -> None:
    assert published_timestamp("2021-07-01") == datetime(2021, 7, 1, tzinfo=UTC)


def test_a_time_with_an_offset_becomes_the_same_instant_in_utc() -> None:
    assert published_timestamp("2021-07-01T10:20:37+02:00") == datetime(2021, 7, 1, 8, 20, 37, tzinfo=UTC)


def test_a_time_without_a_zone_is_taken_as_utc() -> None:
    assert published_timestamp("2021-07-01T10:20:00") == datetime(2021, 7, 1, 10, 20, tzinfo=UTC)


def test_text_that_is_not_iso_8601_names_no_instant() -> None:
    assert published_timestamp("yesterday") is None


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_whose_utc_instant_python_cannot_hold_names_none(value: str) -> None:
    assert published_timestamp(value) is None
    assert published_at_precision(value) is None


def test_the_record_schema_lists_the_precision_and_its_three_values() -> None:
    field = record_json_schema()["properties"]["published_at_precision"]
    values = {v for option in field["anyOf"] for v in option.get("enum", [])}
    assert values == {"day", "minute", "second"}
