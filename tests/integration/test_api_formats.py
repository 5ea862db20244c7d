"""Every upload format through the real API and worker, and the same documents offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_worker.offline import run_offline
from tests import format_samples as samples

pytestmark = pytest.mark.integration

WaitJob = Callable[..., dict[str, Any]]

RAW_TYPES = {
    "crawl.warc.gz": "application/warc",
    "crawl.warc": "application/warc",
    "daily.rss": "application/rss+xml",
    "wire.atom": "application/atom+xml",
    "articles.json": "application/json",
    "report.pdf": "application/pdf",
    "memo.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "notes.md": "text/markdown",
    "letter.eml": "message/rfc822",
}


def _online(api: httpx.Client, job: dict[str, Any]) -> dict[str, tuple[str, str | None, str | None]]:
    """filename → (status, external id, title), records read back over HTTP."""
    out = {}
    for doc in job["documents"]:
        external_id = title = None
        if doc["record_id"]:
            record = api.get(f"/v1/records/{doc['record_id']}").json()
            external_id, title = record["source"]["external_id"], record["title"]
        out[doc["filename"]] = (doc["status"], external_id, title)
    return out


def _offline(folder: Path) -> dict[str, tuple[str, str | None, str | None]]:
    out = {}
    for row in run_offline([str(folder)], dedup=False):
        record = row["record"] or {}
        name = row["input"].removeprefix(f"{folder}/")
        out[name] = (row["status"], (record.get("source") or {}).get("external_id"), record.get("title"))
    return out


def test_every_format_uploaded_gives_the_same_documents_online_and_offline(
    api: httpx.Client, collection: str, wait_job: WaitJob, tmp_path: Path
) -> None:
    files = samples.every_format()
    response = api.post(
        "/v1/documents",
        files=[("files", (name, body, "application/octet-stream")) for name, body in files.items()],
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    online = _online(api, job)
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    offline = _offline(tmp_path)
    assert online == offline
    assert len(online) == 12 and {status for status, _, _ in online.values()} == {"stored"}
    assert online["daily.rss!1"] == ("stored", "rss-1", "Bridge repairs begin")
    assert online["report.pdf"][2] == "Annual report" and online["memo.docx"][2] == "Council memo"
    by_name = {doc["filename"]: doc for doc in job["documents"]}
    warc = api.get(f"/v1/records/{by_name['crawl.warc.gz!3']['record_id']}").json()
    assert warc["source"]["url"] == "https://news.example/a" and warc["source"]["fetched_at"]
    assert "Harbour — paragraph 2" in warc["text"] and "HTTP/1.1" not in warc["text"]


def test_a_raw_body_of_each_new_type_is_accepted(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    files = samples.every_format()
    for name, media in RAW_TYPES.items():
        response = api.post(
            "/v1/documents",
            content=files[name],
            headers={"Content-Type": media, "X-Filename": name, "X-Collection": collection},
        )
        assert response.status_code == 202, (name, response.text)
        job = wait_job(api, response.json()["id"])
        assert job["documents"] and {d["status"] for d in job["documents"]} <= {"stored", "duplicate"}, job


def test_containers_inside_a_zip_are_expanded_online_as_offline(
    api: httpx.Client, collection: str, wait_job: WaitJob, tmp_path: Path
) -> None:
    files = samples.every_format()
    bundle = samples.zipped(
        {
            "in/crawl.warc.gz": files["crawl.warc.gz"],
            "daily.rss": files["daily.rss"],
            "memo.docx": files["memo.docx"],
            "config.json": b'{"workers": 4}',
        }
    )
    response = api.post(
        "/v1/documents",
        files=[("files", ("bundle.zip", bundle, "application/zip"))],
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    online = _online(api, job)
    (tmp_path / "bundle.zip").write_bytes(bundle)
    assert online == _offline(tmp_path)
    assert sorted(online) == [
        "bundle.zip!config.json",
        "bundle.zip!daily.rss!1",
        "bundle.zip!daily.rss!2",
        "bundle.zip!in/crawl.warc.gz!3",
        "bundle.zip!in/crawl.warc.gz!5",
        "bundle.zip!memo.docx",
    ]
    rejected = next(d for d in job["documents"] if d["filename"] == "bundle.zip!config.json")
    assert rejected["status"] == "rejected" and "JSON without text or html" in rejected["error"]


def test_nested_formats_give_the_same_documents_online_and_offline(
    api: httpx.Client, collection: str, wait_job: WaitJob, tmp_path: Path
) -> None:
    files = {**samples.nested_formats(), **samples.hostile_nested_formats()}
    response = api.post(
        "/v1/documents",
        files=[("files", (name, body, "application/octet-stream")) for name, body in files.items()],
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    online = _online(api, job)
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    assert online == _offline(tmp_path)
    assert online["digest.eml"] == ("stored", "digest@example.org", "Weekly digest")
    assert online["digest.eml!report.pdf"][::2] == ("stored", "Harvest report")
    assert online["box.zip!in/fwd.eml!paper.pdf"][::2] == ("stored", "Bridge survey")
    assert online["digest.eml!bundle.zip!crawl.warc.gz!3"][::2] == ("stored", "Tram line opens")
    assert online["deep.zip!level2.zip!level3.zip!story.txt"][0] == "stored"
    errors = {doc["filename"]: doc["error"] for doc in job["documents"] if doc["status"] == "rejected"}
    assert sorted(errors) == [
        "badb64.eml!scan.pdf",
        "locked.eml!secret.zip!secret.txt",
        "toodeep.zip!level2.zip!level3.zip!level4.zip",
    ]
    assert "not valid base64" in errors["badb64.eml!scan.pdf"]
    assert "nested too deeply" in errors["toodeep.zip!level2.zip!level3.zip!level4.zip"]
    assert job["status"] != "failed" and job["counts"]["failed"] == 0
