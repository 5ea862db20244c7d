"""The client's job listing and exports, and the `ingest jobs` / `ingest export` commands,
against a stand-in API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ingest_client import cli
from ingest_client.client import IngestClient
from ingest_client.errors import ExportFailed, IngestAPIError

from .conftest import error_response


def _job(n: int, collection: str = "news") -> dict[str, Any]:
    return {
        "id": f"job{n}",
        "status": "succeeded",
        "collection": collection,
        "created_at": f"2024-01-0{n}T00:00:00Z",
        "updated_at": f"2024-01-0{n}T00:00:00Z",
        "counts": {"total": n, "stored": n},
    }


class ListingAPI:
    """Five jobs newest first, two a page; exports finish on the second poll."""

    def __init__(self, *, fail_export: bool = False) -> None:
        self.requests: list[httpx.Request] = []
        self.polls = 0
        self.fail_export = fail_export

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, params = request.url.path, request.url.params
        if path == "/v1/jobs":
            jobs = [_job(n) for n in range(5, 0, -1)]
            start = int(params.get("cursor", "0"))
            end = start + int(params.get("limit", "100"))
            return httpx.Response(200, json={"items": jobs[start:end], "next": str(end) if end < 5 else None})
        if path == "/v1/exports" and request.method == "POST":
            body = json.loads(request.content)
            return httpx.Response(202, json={"id": "exp1", "status": "queued", "keys": [], **body})
        if path == "/v1/exports/exp1":
            self.polls += 1
            if self.polls < 2:
                return httpx.Response(200, json={"id": "exp1", "status": "running", "keys": []})
            if self.fail_export:
                return httpx.Response(200, json={"id": "exp1", "status": "failed", "error": "S3 down"})
            keys = ["exports/requests/exp1/part-00000.parquet", "exports/requests/exp1/part-00001.parquet"]
            return httpx.Response(200, json={"id": "exp1", "status": "succeeded", "rows": 7, "keys": keys})
        if path.startswith("/v1/exports/exp1/files/"):
            n = int(path.rsplit("/", 1)[-1])
            return httpx.Response(200, content=f"PAR{n}".encode())
        return error_response(404, "not_found", f"no route {path}")

    def client(self) -> IngestClient:
        return IngestClient("http://api.test", transport=httpx.MockTransport(self.handler))


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> ListingAPI:
    fake = ListingAPI()
    monkeypatch.setattr(cli, "make_client", lambda api, api_key: fake.client())
    return fake


def test_iter_jobs_follows_the_cursor_through_every_page(listing: ListingAPI) -> None:
    with listing.client() as client:
        ids = [j["id"] for j in client.iter_jobs(collection="news", status="succeeded", page_size=2)]
    assert ids == ["job5", "job4", "job3", "job2", "job1"]
    assert len(listing.requests) == 3
    assert listing.requests[0].url.params["collection"] == "news"
    assert listing.requests[0].url.params["status"] == "succeeded"


def test_ingest_jobs_prints_the_newest_jobs_up_to_the_limit(listing: ListingAPI) -> None:
    result = CliRunner().invoke(cli.app, ["jobs", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert [j["id"] for j in json.loads(result.stdout)] == ["job5", "job4", "job3"]


def test_ingest_jobs_prints_a_table_with_the_counts(listing: ListingAPI) -> None:
    result = CliRunner().invoke(cli.app, ["jobs", "--collection", "news", "--since", "2024-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "job5" in result.stdout and "5 jobs" in result.stdout
    assert listing.requests[0].url.params["created_after"] == "2024-01-01T00:00:00Z"


def test_ingest_export_waits_and_downloads_every_file(listing: ListingAPI, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.app, ["export", "--collection", "news", "--format", "parquet", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    paths = [tmp_path / "out" / f"part-0000{n}.parquet" for n in range(2)]
    assert result.stdout.splitlines() == [str(p) for p in paths]
    assert [p.read_bytes() for p in paths] == [b"PAR0", b"PAR1"]
    assert json.loads(listing.requests[0].content) == {"collection": "news", "format": "parquet"}
    assert not list((tmp_path / "out").glob("*.part"))


def test_a_failed_export_exits_one_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, no_sleep: list[float], tmp_path: Path
) -> None:
    fake = ListingAPI(fail_export=True)
    monkeypatch.setattr(cli, "make_client", lambda api, api_key: fake.client())
    result = CliRunner().invoke(cli.app, ["export", "--collection", "news", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "S3 down" in result.stderr


def test_wait_for_export_raises_export_failed(no_sleep: list[float]) -> None:
    with ListingAPI(fail_export=True).client() as client, pytest.raises(ExportFailed, match="S3 down"):
        client.wait_for_export("exp1")


def test_a_refused_download_leaves_no_file(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error_response(409, "conflict", "export exp1 is running")

    client = IngestClient("http://api.test", transport=httpx.MockTransport(handler))
    with client, pytest.raises(IngestAPIError, match="409"):
        client.download_export_file("exp1", 0, tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []
