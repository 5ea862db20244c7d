"""Exports against the real stack: asked for over HTTP, written by a worker, read from the
real S3 server by DuckDB; the daily compaction scheduled once by a watchdog and idempotent."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import duckdb_ext
import httpx
import pyarrow.parquet as pq
import pytest
import redis
from typer.testing import CliRunner
from ulid import ULID

from ingest_client.cli import app as cli
from ingest_core import schema
from ingest_core.exports import ExportStore
from ingest_core.jobs import JobStore
from ingest_core.keys import export_key, record_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import EXPORT, ExportMessage
from ingest_devstack.servers import ApiServer, SeaweedS3
from ingest_worker.exports import build_export_runtime, run_export
from ingest_worker.watchdog import Watchdog

pytestmark = pytest.mark.integration


def wait_export(api: httpx.Client, export_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = api.get(f"/v1/exports/{export_id}").json()
        if view["status"] in {"succeeded", "failed"}:
            return view
        time.sleep(0.2)
    raise AssertionError(f"export {export_id} did not finish within {timeout}s: {view}")


@pytest.fixture
def duck(s3_server: SeaweedS3) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB with its httpfs extension (from the duckdb-ext-httpfs wheel) pointed at the suite's S3."""
    extension = next(
        Path(duckdb_ext.__path__[0]).glob(f"extensions/v{duckdb.__version__}/*/httpfs.duckdb_extension")
    )
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    endpoint = s3_server.endpoint.removeprefix("http://")
    con.execute(
        f"CREATE SECRET s3test (TYPE s3, KEY_ID '{s3_server.access_key}', SECRET '{s3_server.secret_key}', "
        f"ENDPOINT '{endpoint}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"
    )
    yield con
    con.close()


@pytest.fixture
def uploaded(
    api: httpx.Client,
    collection: str,
    distinct_articles: list[bytes],
    wait_job: Callable[..., dict[str, Any]],
) -> list[dict[str, Any]]:
    """Three stored records of a fresh collection, in ingestion order."""
    files = [("files", (f"a{n}.txt", body, "text/plain")) for n, body in enumerate(distinct_articles)]
    job = api.post("/v1/documents", files=files, data={"collection": collection}).json()
    done = wait_job(api, job["id"])
    assert done["counts"]["stored"] == 3, done
    ids = sorted(d["record_id"] for d in done["documents"])
    return [api.get(f"/v1/records/{rid}").json() for rid in ids]


def test_an_export_asked_for_over_http_is_read_from_the_real_s3_by_duckdb(
    api: httpx.Client,
    collection: str,
    uploaded: list[dict[str, Any]],
    duck: duckdb.DuckDBPyConnection,
) -> None:
    answer = api.post("/v1/exports", json={"collection": collection, "format": "parquet"})
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/v1/exports/{answer.json()['id']}"
    view = wait_export(api, answer.json()["id"])
    assert view["status"] == "succeeded", view
    assert view["rows"] == 3
    assert view["keys"] == [f"exports/requests/{view['id']}/part-00000.parquet"]

    url = f"s3://ingest-test/{view['keys'][0]}"
    assert duck.execute(f"SELECT count(*) FROM read_parquet('{url}')").fetchone() == (3,)
    types = dict(
        duck.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{url}')").fetchall()
    )
    assert types["ingested_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    assert types["captions"] == "VARCHAR[]"
    assert types["source"].startswith("STRUCT(")
    first = uploaded[0]
    row = duck.execute(
        "SELECT id, title, authors, word_count, source.sha256, epoch_ms(ingested_at), "
        f"published_at_precision FROM '{url}' WHERE id = ?",
        [first["id"]],
    ).fetchone()
    assert row is not None
    ingested = datetime.fromisoformat(first["ingested_at"])
    assert row[:5] == (
        first["id"],
        first["title"],
        first["authors"],
        first["word_count"],
        first["source"]["sha256"],
    )
    assert row[5] == int(ingested.timestamp() * 1000)
    assert row[6] == first["published_at_precision"]


def test_an_export_file_downloads_through_the_api_as_written(
    api: httpx.Client, collection: str, uploaded: list[dict[str, Any]], object_store: ObjectStore
) -> None:
    view = wait_export(
        api, api.post("/v1/exports", json={"collection": collection, "format": "jsonl.gz"}).json()["id"]
    )
    download = api.get(f"/v1/exports/{view['id']}/files/0")
    assert download.status_code == 200
    assert download.content == object_store.get(view["keys"][0])
    assert download.headers["content-disposition"] == 'attachment; filename="part-00000.jsonl.gz"'
    assert api.get(f"/v1/exports/{view['id']}/files/1").status_code == 404


def test_ingest_export_downloads_the_parquet_files_into_a_folder(
    api: httpx.Client, collection: str, uploaded: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--collection",
            collection,
            "--format",
            "parquet",
            "-o",
            str(tmp_path),
            "--api",
            str(api.base_url),
        ],
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / "part-00000.parquet"
    assert result.stdout.strip() == str(path)
    table = pq.read_table(path)
    assert table.column("id").to_pylist() == [r["id"] for r in uploaded]


def test_an_export_with_since_after_until_is_refused(api: httpx.Client, collection: str) -> None:
    body = {"collection": collection, "since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}
    answer = api.post("/v1/exports", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "bounds",
    [{"since": "0001-01-01T00:00:00+14:00"}, {"until": "9999-12-31T23:59:59-14:00"}],
)
def test_an_export_bound_with_no_utc_instant_is_refused(
    api_server: ApiServer, collection: str, bounds: dict[str, str]
) -> None:
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        answer = client.post("/v1/exports", json={"collection": collection, "format": "parquet", **bounds})
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["error"]["details"]
    assert problem["loc"] == ["body", *bounds]
    assert "out of range in UTC" in problem["msg"]


def test_an_unknown_export_is_a_404(api: httpx.Client) -> None:
    assert api.get("/v1/exports/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404


class _Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_task(self, name: str, args: Any = None, **options: Any) -> None:
        self.sent.append((name, args[0]))


def _put_record(store: ObjectStore, collection: str, when: datetime, n: int) -> None:
    record = schema.Record(
        id=str(ULID.from_datetime(when)),
        collection=collection,
        ingested_at=when,
        source=schema.Source(sha256=f"{n:064x}"),
        title=f"Story {n}",
        authors=["A. Writer"],
        published_at="2020-01-01T10:20:37+00:00",
        published_at_precision="second",
        text=f"Body {n}.",
        fingerprints=schema.Fingerprints(content_sha256=f"{n:064x}"),
        pipeline=schema.PipelineInfo(version="t"),
    )
    store.put(record_key(collection, record.id), record.model_dump_json().encode())


def test_the_daily_compaction_is_scheduled_by_one_watchdog_and_rewrites_the_same_parts(
    stack_settings: Settings,
    redis_client: redis.Redis[bytes],
    object_store: ObjectStore,
    collection: str,
) -> None:
    day = date(2001, 1, 1) + timedelta(days=random.randrange(3000))  # a day no other test writes
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for n in range(5):
        _put_record(object_store, collection, start + timedelta(hours=4 * n), n)
    settings = stack_settings.model_copy(update={"export_part_rows": 2})
    now = (start + timedelta(days=1, hours=1)).timestamp()

    sender, other = _Sender(), _Sender()
    first = Watchdog(settings, sender, JobStore(redis_client), object_store).sweep(now)
    second = Watchdog(settings, other, JobStore(redis_client), object_store).sweep(now)
    assert (first.compactions, second.compactions) == (1, 0)
    assert other.sent == []
    [(name, args)] = sender.sent
    assert name == EXPORT
    message = ExportMessage.model_validate(args)
    assert (message.collection, message.day) == (collection, day)

    rt = build_export_runtime(settings)
    assert run_export(message, rt) == "done"
    keys = [export_key(collection, day, n) for n in range(3)]
    rows = [pq.read_table(io.BytesIO(object_store.get(k))).to_pylist() for k in keys]
    view = ExportStore(redis_client).get(message.export_id)
    assert view is not None and view.keys == keys and view.rows == 5 and view.kind == "daily"

    again = ExportStore(redis_client).create(collection, "parquet", day=day)
    assert run_export(message.model_copy(update={"export_id": again.id}), rt) == "done"
    assert object_store.list_after(f"exports/v1/{collection}/dt={day}/") == keys
    assert [pq.read_table(io.BytesIO(object_store.get(k))).to_pylist() for k in keys] == rows
    assert sum(len(r) for r in rows) == 5
