"""Exports: records of a collection written as Parquet or gzipped JSON Lines parts.

One task, ``ingest.export``, serves both kinds:

- an export someone asked for (``POST /v1/exports``): the records ingested in [since, until),
  written to ``exports/requests/{export_id}/part-{n:05d}.{parquet|jsonl.gz}``;
- the daily compaction: one UTC day of a collection, written to
  ``exports/v1/{collection}/dt={yyyy-mm-dd}/part-{n:05d}.parquet``. Running it again for the
  same day rewrites the same part keys with the same rows (and removes parts beyond the last,
  should there be any), so it never duplicates.

Records are read from the bucket in key order, which is ingestion order (ULID ids), and cut
into parts of ``export_part_rows``. "Ingested" means the record id's timestamp, which is also
the date folder of its key; ``ingested_at`` is set a moment later, when the record is built.

Parquet columns are typed (see ``PARQUET_SCHEMA``): ``ingested_at`` and ``published_at`` are
UTC timestamps (a date alone is its midnight UTC, a time without a zone is taken as UTC, text
that is not ISO 8601 is null) with ``published_at_precision`` beside it; lists are lists of
strings; nested parts of the record (``source``, ``dateline``, ``boilerplate``,
``fingerprints``, ``near_duplicates``, ``pipeline``) are structs with the record's own field
names, so ``source.url`` reads the same in DuckDB as in the JSON.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import islice
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import redis
import structlog
from celery import Task
from ulid import ULID

from ingest_core.dates import published_at_precision, published_timestamp
from ingest_core.errors import NotFound
from ingest_core.exports import ExportStore
from ingest_core.keys import (
    RECORD_SCHEMA_PREFIX,
    collection_from_record_prefix,
    export_day_prefix,
    export_key,
    export_request_key,
    record_day_prefix,
    record_id_from_key,
    record_prefix,
)
from ingest_core.settings import Settings, get_settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import EXPORT, ExportMessage, TaskSender, send_export
from ingest_worker.app import app

log = structlog.get_logger("ingest_worker.exports")

_TS = pa.timestamp("us", tz="UTC")
_STRINGS = pa.list_(pa.string())

PARQUET_SCHEMA = pa.schema(
    [
        ("schema_version", pa.int32()),
        ("id", pa.string()),
        ("collection", pa.string()),
        ("job_id", pa.string()),
        ("ingested_at", _TS),
        (
            "source",
            pa.struct(
                [
                    ("filename", pa.string()),
                    ("content_type", pa.string()),
                    ("encoding", pa.string()),
                    ("size_bytes", pa.int64()),
                    ("sha256", pa.string()),
                    ("raw_key", pa.string()),
                    ("url", pa.string()),
                    ("external_id", pa.string()),
                    ("site_name", pa.string()),
                ]
            ),
        ),
        ("title", pa.string()),
        ("description", pa.string()),
        ("authors", _STRINGS),
        ("published_at", _TS),
        ("published_at_precision", pa.string()),
        ("dateline", pa.struct([("place", pa.string()), ("agency", pa.string())])),
        ("language", pa.string()),
        ("language_confidence", pa.float64()),
        ("text", pa.string()),
        ("word_count", pa.int64()),
        ("captions", _STRINGS),
        (
            "boilerplate",
            pa.struct(
                [
                    ("removed_lines", pa.int64()),
                    ("removed", pa.list_(pa.struct([("text", pa.string()), ("reason", pa.string())]))),
                ]
            ),
        ),
        ("fingerprints", pa.struct([("content_sha256", pa.string()), ("simhash", pa.string())])),
        ("near_duplicates", pa.list_(pa.struct([("id", pa.string()), ("similarity", pa.float64())]))),
        (
            "pipeline",
            pa.struct(
                [
                    ("version", pa.string()),
                    ("stages", pa.list_(pa.struct([("name", pa.string()), ("ms", pa.float64())]))),
                    ("extractor", pa.string()),
                    ("warnings", _STRINGS),
                ]
            ),
        ),
    ]
)

CONTENT_TYPES = {"parquet": "application/vnd.apache.parquet", "jsonl.gz": "application/gzip"}
_FETCHERS = 16


@dataclass(frozen=True)
class Written:
    keys: list[str]
    rows: int


# --- reading ------------------------------------------------------------------------------


def record_keys(
    store: ObjectStore, collection: str, since: datetime | None, until: datetime | None
) -> Iterator[str]:
    """Keys of the collection's records ingested in [since, until), in key (= id) order."""
    since = _utc(since) if since else None
    until = _utc(until) if until else None
    prefix = record_prefix(collection)
    start_after = record_day_prefix(collection, since.astimezone(UTC).date()) if since else None
    last_folder = record_day_prefix(collection, until.astimezone(UTC).date()) if until else None
    for key in store.iter_keys(prefix, start_after):
        if last_folder is not None and key[: len(last_folder)] > last_folder:
            return
        when = ULID.from_str(record_id_from_key(key)).datetime
        if since is not None and when < since:
            continue
        if until is not None and when >= until:
            return
        yield key


def _chunks(keys: Iterator[str], size: int) -> Iterator[list[str]]:
    while chunk := list(islice(keys, size)):
        yield chunk


def _fetch(store: ObjectStore, keys: list[str], pool: ThreadPoolExecutor) -> list[bytes]:
    def get(key: str) -> bytes | None:
        try:
            return store.get(key)
        except NotFound:  # removed between the listing and the read
            return None

    return [body for body in pool.map(get, keys) if body is not None]


# --- writing ------------------------------------------------------------------------------


def parquet_row(record: dict[str, Any]) -> dict[str, Any]:
    """One record as a row of ``PARQUET_SCHEMA`` (fields it does not know are left out)."""
    row = {field.name: _fit(record.get(field.name), field.type) for field in PARQUET_SCHEMA}
    ingested = record.get("ingested_at")
    row["ingested_at"] = _utc(datetime.fromisoformat(ingested)) if ingested else None
    published = record.get("published_at")
    row["published_at"] = published_timestamp(published)
    row["published_at_precision"] = record.get("published_at_precision") or published_at_precision(published)
    return row


def _fit(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_struct(kind):
        if not isinstance(value, dict):
            return None
        return {
            kind.field(i).name: _fit(value.get(kind.field(i).name), kind.field(i).type)
            for i in range(kind.num_fields)
        }
    if pa.types.is_list(kind):
        return [_fit(v, kind.value_type) for v in value] if isinstance(value, list) else None
    return value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def encode_part(bodies: list[bytes], fmt: str) -> bytes:
    """One part: Parquet (zstd) or gzipped JSON Lines of the records as stored."""
    if fmt == "jsonl.gz":
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
            for body in bodies:
                gz.write(json.dumps(json.loads(body), ensure_ascii=False).encode() + b"\n")
        return out.getvalue()
    table = pa.Table.from_pylist([parquet_row(json.loads(body)) for body in bodies], schema=PARQUET_SCHEMA)
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def write_export(store: ObjectStore, settings: Settings, message: ExportMessage) -> Written:
    """Writes every part (at least one, empty when no record matches) and returns their keys."""
    since, until = message.since, message.until
    if message.day is not None:
        since = datetime(message.day.year, message.day.month, message.day.day, tzinfo=UTC)
        until = since + timedelta(days=1)
    fmt = "parquet" if message.day is not None else message.format
    keys: list[str] = []
    rows = 0
    with ThreadPoolExecutor(_FETCHERS, thread_name_prefix="export-fetch") as pool:
        chunks = _chunks(record_keys(store, message.collection, since, until), settings.export_part_rows)
        for part, chunk in enumerate(_nonempty(chunks)):
            bodies = _fetch(store, chunk, pool)
            if message.day is not None:
                key = export_key(message.collection, message.day, part)
            else:
                key = export_request_key(message.export_id, part, fmt)
            store.put(key, encode_part(bodies, fmt), content_type=CONTENT_TYPES[fmt])
            keys.append(key)
            rows += len(bodies)
    if message.day is not None:  # a part beyond the last (there were more records once) goes
        for stale in store.iter_keys(export_day_prefix(message.collection, message.day)):
            if stale not in keys:
                store.delete(stale)
    return Written(keys, rows)


def _nonempty(chunks: Iterator[list[str]]) -> Iterator[list[str]]:
    """The chunks, or one empty chunk when there are none (an empty export is one empty part)."""
    seen = False
    for chunk in chunks:
        seen = True
        yield chunk
    if not seen:
        yield []


# --- the task -----------------------------------------------------------------------------


@dataclass
class ExportRuntime:
    settings: Settings
    store: ObjectStore
    exports: ExportStore


@cache
def export_runtime() -> ExportRuntime:
    return build_export_runtime(get_settings())


def build_export_runtime(settings: Settings) -> ExportRuntime:
    client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
    return ExportRuntime(settings, ObjectStore.from_settings(settings), ExportStore(client))


def run_export(message: ExportMessage, rt: ExportRuntime) -> str:
    """Writes the export and records the outcome: "done", "failed", or "skipped" when it has
    succeeded already (a second delivery) or its state has expired."""
    bound = log.bind(export_id=message.export_id, collection=message.collection)
    if not rt.exports.start(message.export_id):
        bound.info("export.skipped")
        return "skipped"
    retention = rt.settings.job_retention_seconds
    try:
        written = write_export(rt.store, rt.settings, message)
    except Exception as exc:
        bound.warning("export.failed", exc_info=True)
        rt.exports.fail(message.export_id, f"{type(exc).__name__}: {exc}", retention)
        return "failed"
    rt.exports.succeed(message.export_id, written.keys, written.rows, retention)
    bound.info("export.done", rows=written.rows, parts=len(written.keys))
    return "done"


@app.task(name=EXPORT, bind=True, acks_late=True)
def export_task(self: Task, message: dict[str, Any]) -> str:
    return run_export(ExportMessage.model_validate(message), export_runtime())


# --- the daily compaction -----------------------------------------------------------------


def collections_with_records(store: ObjectStore, day: date) -> list[str]:
    """Collections that have at least one record of ``day``."""
    names = [collection_from_record_prefix(p) for p in store.list_prefixes(f"{RECORD_SCHEMA_PREFIX}/")]
    return [name for name in names if store.list_after(record_day_prefix(name, day), limit=1)]


def schedule_daily_compaction(
    settings: Settings,
    sender: TaskSender,
    client: redis.Redis[bytes],
    store: ObjectStore,
    day: date,
    *,
    exports: ExportStore | None = None,
) -> list[str] | None:
    """Sends one compaction task per collection with records of ``day``, unless another
    worker did already (a Redis lock per day). Returns the export ids, or None when another
    worker holds the day. On an error the lock is released so a later sweep tries again."""
    exports = exports or ExportStore(client)
    lock = exports.keys.compaction_lock(day)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    if not client.set(lock, holder, nx=True, ex=8 * 86_400):
        return None
    try:
        ids = []
        for collection in collections_with_records(store, day):
            view = exports.create(collection, "parquet", day=day)
            send_export(sender, ExportMessage(export_id=view.id, collection=collection, day=day), settings)
            ids.append(view.id)
    except Exception:
        client.delete(lock)
        raise
    log.info("compaction.scheduled", day=day.isoformat(), exports=len(ids))
    return ids


def compaction_day(now: datetime, settings: Settings) -> date | None:
    """The day whose compaction is due at ``now``: yesterday, once the delay after midnight
    UTC has passed (None before)."""
    now = now.astimezone(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if (now - midnight).total_seconds() < settings.export_compaction_delay_seconds:
        return None
    return (midnight - timedelta(days=1)).date()


def main(argv: list[str] | None = None) -> int:
    """``python -m ingest_worker.exports DAY [COLLECTION…]``: the compaction of one day, here
    and now (all collections with records that day when none is named)."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write("usage: python -m ingest_worker.exports YYYY-MM-DD [COLLECTION ...]\n")
        return 2
    day = date.fromisoformat(args[0])
    rt = build_export_runtime(get_settings())
    for collection in args[1:] or collections_with_records(rt.store, day):
        view = rt.exports.create(collection, "parquet", day=day)
        outcome = run_export(ExportMessage(export_id=view.id, collection=collection, day=day), rt)
        done = rt.exports.get(view.id)
        sys.stdout.write(f"{collection} {day} {outcome}: {', '.join(done.keys) if done else ''}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
