"""Export parts against moto: typed Parquet columns, gzipped JSON Lines, the [since, until)
window, and a daily compaction that rewrites the same parts when run again."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws
from ulid import ULID

from ingest_core import schema
from ingest_core.keys import export_key, record_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import ExportMessage
from ingest_worker.exports import PARQUET_SCHEMA, collections_with_records, compaction_day, write_export

DAY = date(2024, 3, 5)
START = datetime(2024, 3, 5, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[ObjectStore]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        store = ObjectStore(client, "bucket")
        store.ensure_bucket()
        yield store


def make_record(collection: str, when: datetime, n: int, published_at: str | None = None) -> schema.Record:
    record_id = str(ULID.from_datetime(when))
    return schema.Record(
        id=record_id,
        collection=collection,
        job_id="01ARZ3NDEKTSV4RRFFQ69G5FAV",
        ingested_at=when,
        source=schema.Source(sha256=f"{n:064x}", url=f"https://example.com/{n}", site_name="Example"),
        title=f"Story {n}",
        authors=["Ann Author", "Bo Byline"],
        published_at=published_at,
        dateline=schema.Dateline(place="Valletta", agency="AP"),
        text=f"Body {n}.",
        word_count=2,
        captions=["A harbour crane."],
        fingerprints=schema.Fingerprints(content_sha256=f"{n:064x}"),
        pipeline=schema.PipelineInfo(version="t", stages=[schema.StageTiming(name="html", ms=1.5)]),
    )


def put(store: ObjectStore, record: schema.Record) -> None:
    store.put(record_key(record.collection, record.id), record.model_dump_json().encode())


def parquet(store: ObjectStore, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(store.get(key)))


def test_a_parquet_export_has_typed_columns_and_one_row_per_record(store: ObjectStore) -> None:
    put(store, make_record("news", START + timedelta(hours=1), 1, "2024-03-04T10:20:37+02:00"))
    put(store, make_record("news", START + timedelta(hours=2), 2, "2024-03-04"))
    put(store, make_record("news", START + timedelta(hours=3), 3))
    written = write_export(store, Settings(), ExportMessage(export_id="E1", collection="news"))
    assert written.rows == 3
    assert written.keys == ["exports/requests/E1/part-00000.parquet"]
    table = parquet(store, written.keys[0])
    assert table.schema.equals(PARQUET_SCHEMA)
    assert table.schema.field("ingested_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("authors").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [r["title"] for r in rows] == ["Story 1", "Story 2", "Story 3"]
    assert rows[0]["published_at"] == datetime(2024, 3, 4, 8, 20, 37, tzinfo=UTC)
    assert [r["published_at_precision"] for r in rows] == ["second", "day", None]
    assert rows[2]["published_at"] is None
    assert rows[0]["authors"] == ["Ann Author", "Bo Byline"]
    assert rows[0]["source"]["url"] == "https://example.com/1"
    assert rows[0]["dateline"] == {"place": "Valletta", "agency": "AP"}
    assert rows[0]["pipeline"]["stages"] == [{"name": "html", "ms": 1.5}]


def test_a_record_written_before_the_precision_field_gets_it_in_the_export(store: ObjectStore) -> None:
    record = make_record("news", START, 1, "2024-03-04T10:20:00+00:00").model_dump(mode="json")
    del record["published_at_precision"]
    store.put(record_key("news", record["id"]), json.dumps(record).encode())
    written = write_export(store, Settings(), ExportMessage(export_id="E1", collection="news"))
    assert parquet(store, written.keys[0]).to_pylist()[0]["published_at_precision"] == "minute"


def test_since_and_until_select_records_by_ingestion_time(store: ObjectStore) -> None:
    for n, hours in enumerate([-30, -1, 0, 5, 24, 50]):
        put(store, make_record("news", START + timedelta(hours=hours), n))
    message = ExportMessage(
        export_id="E2", collection="news", format="jsonl.gz", since=START, until=START + timedelta(days=1)
    )
    written = write_export(store, Settings(), message)
    assert written.keys == ["exports/requests/E2/part-00000.jsonl.gz"]
    lines = gzip.decompress(store.get(written.keys[0])).decode().splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Story 2", "Story 3"]


def test_records_are_cut_into_parts_in_key_order(store: ObjectStore) -> None:
    for n in range(5):
        put(store, make_record("news", START + timedelta(minutes=n), n))
    written = write_export(
        store, Settings(export_part_rows=2), ExportMessage(export_id="E3", collection="news")
    )
    assert [k.rsplit("/", 1)[-1] for k in written.keys] == [f"part-0000{n}.parquet" for n in range(3)]
    titles = [r["title"] for key in written.keys for r in parquet(store, key).to_pylist()]
    assert titles == [f"Story {n}" for n in range(5)]


def test_an_export_with_no_matching_record_is_one_empty_part(store: ObjectStore) -> None:
    written = write_export(store, Settings(), ExportMessage(export_id="E4", collection="empty"))
    assert written.rows == 0
    assert parquet(store, written.keys[0]).num_rows == 0


def test_running_a_daily_compaction_again_rewrites_the_same_parts_with_the_same_rows(
    store: ObjectStore,
) -> None:
    for n in range(5):
        put(store, make_record("news", START + timedelta(hours=n), n))
    put(store, make_record("news", START + timedelta(days=1, minutes=1), 9))  # the next day
    settings = Settings(export_part_rows=2)
    message = ExportMessage(export_id="D1", collection="news", day=DAY)
    first = write_export(store, settings, message)
    before = [parquet(store, k).to_pylist() for k in first.keys]
    second = write_export(store, settings, message.model_copy(update={"export_id": "D2"}))
    assert second.keys == first.keys == [export_key("news", DAY, n) for n in range(3)]
    assert [parquet(store, k).to_pylist() for k in second.keys] == before
    assert sum(len(rows) for rows in before) == 5
    assert store.list_after(f"exports/v1/news/dt={DAY}/") == first.keys


def test_a_daily_compaction_removes_parts_beyond_its_last(store: ObjectStore) -> None:
    put(store, make_record("news", START, 1))
    store.put(export_key("news", DAY, 1), b"left over")
    written = write_export(store, Settings(), ExportMessage(export_id="D1", collection="news", day=DAY))
    assert store.list_after(f"exports/v1/news/dt={DAY}/") == written.keys == [export_key("news", DAY, 0)]


def test_only_collections_with_records_of_the_day_are_compacted(store: ObjectStore) -> None:
    put(store, make_record("news", START + timedelta(hours=1), 1))
    put(store, make_record("sport", START - timedelta(hours=1), 2))
    assert collections_with_records(store, DAY) == ["news"]


def test_yesterday_is_due_for_compaction_only_after_the_delay_past_midnight() -> None:
    settings = Settings(export_compaction_delay_seconds=1800)
    assert compaction_day(datetime(2024, 3, 6, 0, 10, tzinfo=UTC), settings) is None
    assert compaction_day(datetime(2024, 3, 6, 0, 40, tzinfo=UTC), settings) == DAY
