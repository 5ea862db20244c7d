"""Key layout: records sort by id, dates come from the id, collections are path-safe."""

from __future__ import annotations

from datetime import date

from ulid import ULID

from ingest_core.ids import new_id
from ingest_core.keys import (
    export_key,
    export_request_key,
    raw_key,
    record_day_prefix,
    record_id_from_key,
    record_key,
    valid_collection,
)


def test_record_keys_follow_the_documented_layout() -> None:
    record_id = new_id()
    when = ULID.from_str(record_id).datetime
    key = record_key("news", record_id)
    assert key == f"records/v1/news/{when:%Y/%m/%d}/{record_id}.json"
    assert record_id_from_key(key) == record_id


def test_records_created_later_sort_after_earlier_ones() -> None:
    ids = [new_id() for _ in range(50)]
    keys = [record_key("c", i) for i in ids]
    assert sorted(keys) == keys


def test_raw_objects_are_content_addressed() -> None:
    assert raw_key("news", "ab" * 32) == f"raw/news/{'ab' * 32}"


def test_collection_names_must_be_path_safe() -> None:
    assert valid_collection("news-2024_v1.0")
    for bad in ["", "../etc", "a/b", "x" * 64, "-lead", "sp ace"]:
        assert not valid_collection(bad)


def test_an_export_asked_for_lives_outside_the_daily_partitions() -> None:
    assert export_request_key("01ARZ3NDEKTSV4RRFFQ69G5FAV", 3, "jsonl.gz") == (
        "exports/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/part-00003.jsonl.gz"
    )
    assert export_key("news", date(2024, 3, 5), 0) == "exports/v1/news/dt=2024-03-05/part-00000.parquet"


def test_a_days_records_share_one_folder_named_by_the_date() -> None:
    assert record_day_prefix("news", date(2024, 3, 5)) == "records/v1/news/2024/03/05/"
