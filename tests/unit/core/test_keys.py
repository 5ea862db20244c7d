"""Key layout: records sort by id, dates come from the id, collections are path-safe."""

from __future__ import annotations

from ulid import ULID

from ingest_core.ids import new_id
from ingest_core.keys import raw_key, record_id_from_key, record_key, valid_collection


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
