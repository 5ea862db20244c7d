"""Uploads over real HTTP to the real API, processed by a real Celery worker, stored in SeaweedFS."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from ingest_api.main import create_app
from ingest_core.errors import NotFound
from ingest_core.keys import job_summary_key, raw_key, record_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore

pytestmark = pytest.mark.integration

WaitJob = Callable[..., dict[str, Any]]
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
ARTICLE = (SAMPLES / "000_db929eefe4fa1c71.txt").read_bytes()
WEB_PAGE = (SAMPLES / "001_97712b54962e7890.txt").read_bytes()


def _upload(
    api: httpx.Client, collection: str, files: list[tuple[str, bytes]], **headers: str
) -> httpx.Response:
    return api.post(
        "/v1/documents",
        files=[("files", (name, body, "application/octet-stream")) for name, body in files],
        data={"collection": collection},
        headers=headers,
    )


def _eventually(read: Callable[[], bytes], seconds: float = 15) -> bytes:
    """What ``read`` gives once the object exists (the workers' watchdog writes job summaries)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return read()
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _by_name(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {doc["filename"]: doc for doc in job["documents"]}


def test_an_upload_is_stored_first_then_processed_into_records(
    api: httpx.Client, collection: str, wait_job: WaitJob, object_store: ObjectStore
) -> None:
    response = _upload(api, collection, [("wire.txt", ARTICLE), ("page.txt", WEB_PAGE)])
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == f"/v1/jobs/{accepted['id']}"
    assert accepted["counts"]["total"] == 2 and len(accepted["documents"]) == 2
    assert all(d["id"] for d in accepted["documents"])

    job = wait_job(api, accepted["id"])
    assert job["status"] == "succeeded"
    assert job["counts"] == {
        "total": 2,
        "queued": 0,
        "processing": 0,
        "stored": 2,
        "duplicate": 0,
        "rejected": 0,
        "failed": 0,
    }
    for name, body in (("wire.txt", ARTICLE), ("page.txt", WEB_PAGE)):
        doc = _by_name(job)[name]
        sha = hashlib.sha256(body).hexdigest()
        record = api.get(f"/v1/records/{doc['record_id']}").json()
        assert record["id"] == doc["record_id"] and record["schema_version"] == 1
        assert record["collection"] == collection and record["job_id"] == job["id"]
        assert record["source"]["sha256"] == sha and record["source"]["size_bytes"] == len(body)
        assert object_store.get(raw_key(collection, sha)) == body
        stored = json.loads(object_store.get(record_key(collection, record["id"])))
        assert stored == record
    summary = json.loads(_eventually(lambda: object_store.get(job_summary_key(job["id"]))))
    assert summary["status"] == "succeeded" and summary["counts"]["stored"] == 2


def test_the_same_article_uploaded_again_is_a_duplicate_of_the_first(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    first = wait_job(api, _upload(api, collection, [("a.txt", ARTICLE)]).json()["id"])
    canonical = first["documents"][0]["record_id"]
    second = wait_job(api, _upload(api, collection, [("again.txt", ARTICLE)]).json()["id"])
    doc = second["documents"][0]
    assert doc["status"] == "duplicate"
    assert doc["duplicate_of"] == canonical
    assert doc["similarity"] == pytest.approx(1.0)
    assert doc["record_id"] is None
    assert second["status"] == "succeeded"


def test_dedup_is_scoped_to_a_collection(api: httpx.Client, collection: str, wait_job: WaitJob) -> None:
    wait_job(api, _upload(api, collection, [("a.txt", ARTICLE)]).json()["id"])
    other = wait_job(api, _upload(api, collection + "-other", [("a.txt", ARTICLE)]).json()["id"])
    assert other["documents"][0]["status"] == "stored"


def test_bad_files_are_rejected_with_a_reason_and_the_rest_of_the_batch_is_stored(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    rng = random.Random(7)
    files = [
        ("empty.txt", b""),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),
        ("garbage.txt", bytes(rng.randrange(0x80, 0x100) for _ in range(4000))),
        ("good.txt", ARTICLE),
    ]
    job = wait_job(api, _upload(api, collection, files).json()["id"])
    docs = _by_name(job)
    assert docs["good.txt"]["status"] == "stored"
    for name in ("empty.txt", "image.png", "garbage.txt"):
        assert docs[name]["status"] == "rejected", docs[name]
        assert docs[name]["error"]
    assert "empty" in docs["empty.txt"]["error"]
    assert "PNG" in docs["image.png"]["error"]
    assert "undecodable" in docs["garbage.txt"]["error"]
    assert job["status"] == "partially_failed"
    assert job["counts"]["rejected"] == 3 and job["counts"]["stored"] == 1


def test_a_raw_body_with_x_filename_is_one_document(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    response = api.post(
        "/v1/documents",
        content=ARTICLE,
        headers={"Content-Type": "text/plain", "X-Filename": "wire.txt", "X-Collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    assert job["collection"] == collection
    assert _by_name(job)["wire.txt"]["status"] == "stored"


def test_a_language_that_names_no_iso_639_1_code_is_a_400_and_a_tag_is_its_code(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    refused = api.post(
        "/v1/documents",
        files=[("files", ("wire.txt", ARTICLE, "text/plain"))],
        data={"collection": collection, "language": "deu"},
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["details"] == {"language": "deu"}
    tagged = api.post(
        "/v1/documents",
        content=ARTICLE,
        headers={"Content-Type": "text/plain", "X-Collection": collection, "X-Language": "en-GB"},
    )
    assert tagged.status_code == 202, tagged.text
    record_id = _by_name(wait_job(api, tagged.json()["id"]))["upload"]["record_id"]
    record = api.get(f"/v1/records/{record_id}").json()
    assert (record["language"], record["language_confidence"]) == ("en", 1.0)


def test_archives_fan_out_into_one_document_per_member(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("news/wire.txt", ARTICLE)
        archive.writestr("news/page.txt", WEB_PAGE)
        archive.writestr("news/", b"")
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w:gz") as archive:
        info = tarfile.TarInfo("copy.txt")
        info.size = len(ARTICLE)
        archive.addfile(info, io.BytesIO(ARTICLE))
    job = wait_job(
        api,
        _upload(
            api, collection, [("batch.zip", zipped.getvalue()), ("more.tar.gz", tarred.getvalue())]
        ).json()["id"],
    )
    docs = _by_name(job)
    assert set(docs) == {"batch.zip!news/wire.txt", "batch.zip!news/page.txt", "more.tar.gz!copy.txt"}
    assert docs["batch.zip!news/wire.txt"]["status"] == "stored"
    assert docs["batch.zip!news/page.txt"]["status"] == "stored"
    assert docs["more.tar.gz!copy.txt"]["status"] == "duplicate"


def test_a_corrupt_archive_is_one_rejected_document(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    job = wait_job(
        api,
        _upload(api, collection, [("broken.zip", b"PK\x03\x04 not really"), ("ok.txt", ARTICLE)]).json()[
            "id"
        ],
    )
    docs = _by_name(job)
    assert docs["broken.zip"]["status"] == "rejected" and "zip" in docs["broken.zip"]["error"]
    assert docs["ok.txt"]["status"] == "stored"


def test_a_json_lines_batch_gives_one_document_per_line(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    lines = [
        json.dumps(
            {"id": "a1", "text": ARTICLE.decode(), "title": "Given title", "url": "https://example.org/a"}
        ),
        "not json",
        json.dumps(
            {
                "id": "a3",
                "html": "<html><body><article><p>"
                + "Words of an article. " * 40
                + "</p></article></body></html>",
            }
        ),
    ]
    job = wait_job(api, _upload(api, collection, [("batch.jsonl", "\n".join(lines).encode())]).json()["id"])
    docs = _by_name(job)
    assert docs["batch.jsonl!1"]["status"] == "stored"
    assert docs["batch.jsonl!2"]["status"] == "rejected" and "JSON" in docs["batch.jsonl!2"]["error"]
    assert docs["batch.jsonl!3"]["status"] == "stored"
    record = api.get(f"/v1/records/{docs['batch.jsonl!1']['record_id']}").json()
    assert record["title"] == "Given title"
    assert record["source"]["url"] == "https://example.org/a"


def test_the_feed_returns_records_in_ingestion_order_with_a_cursor(
    api: httpx.Client, collection: str, wait_job: WaitJob, distinct_articles: list[bytes]
) -> None:
    texts = [(f"n{i}.txt", body) for i, body in enumerate(distinct_articles)]
    job = wait_job(api, _upload(api, collection, texts).json()["id"])
    assert job["counts"]["stored"] == 3
    first = api.get("/v1/records", params={"collection": collection, "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = api.get("/v1/records", params={"collection": collection, "after": first["next"]}).json()
    ids = [r["id"] for r in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(d["record_id"] for d in job["documents"])
    assert len(set(ids)) == 3
    tail = api.get("/v1/records", params={"collection": collection, "after": rest["next"]}).json()
    assert tail == {"items": [], "next": rest["next"]}


def test_the_same_idempotency_key_and_body_return_the_same_job(api: httpx.Client, collection: str) -> None:
    key = f"idem-{collection}"
    first = _upload(api, collection, [("a.txt", ARTICLE)], **{"Idempotency-Key": key})
    again = _upload(api, collection, [("a.txt", ARTICLE)], **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = _upload(api, collection, [("b.txt", WEB_PAGE)], **{"Idempotency-Key": key})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "conflict"


def test_job_events_stream_ends_with_the_finished_job(api: httpx.Client, collection: str) -> None:
    job_id = _upload(api, collection, [("a.txt", WEB_PAGE)]).json()["id"]
    events = []
    with api.stream("GET", f"/v1/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events and events[-1]["status"] in {"succeeded", "partially_failed", "failed"}


def test_cancelling_a_finished_job_changes_nothing(
    api: httpx.Client, collection: str, wait_job: WaitJob
) -> None:
    job = wait_job(api, _upload(api, collection, [("a.txt", ARTICLE)]).json()["id"])
    response = api.delete(f"/v1/jobs/{job['id']}")
    assert response.status_code == 200
    assert response.json()["status"] == job["status"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV", 404, "not_found"),
        ("GET", "/v1/records/01ARZ3NDEKTSV4RRFFQ69G5FAV", 404, "not_found"),
        ("GET", "/v1/records/not-an-id", 404, "not_found"),
        ("GET", "/v1/records?limit=0", 422, "validation_error"),
        ("GET", "/v1/records?collection=../x", 400, "bad_request"),
        ("GET", "/v1/nothing-here", 404, "not_found"),
    ],
)
def test_errors_are_json_with_a_code_and_the_right_status(
    api: httpx.Client, method: str, path: str, status: int, code: str
) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_an_unsupported_content_type_is_refused_with_415(api: httpx.Client) -> None:
    response = api.post("/v1/documents", content=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_stored(api: httpx.Client) -> None:
    too_big = b"a" * (50 * 1024 * 1024 + 1)
    response = api.post("/v1/documents", content=too_big, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_multipart_request_without_files_is_a_400(api: httpx.Client) -> None:
    response = api.post("/v1/documents", data={"collection": "x"}, files={"other": ("a", b"b")})
    assert response.status_code == 400
    assert "files" in response.json()["error"]["message"]


def test_an_invalid_collection_is_a_400(api: httpx.Client) -> None:
    response = _upload(api, "../../etc", [("a.txt", ARTICLE)])
    assert response.status_code == 400


def test_health_readiness_metrics_and_docs_are_served(api: httpx.Client) -> None:
    assert api.get("/healthz").json()["status"] == "ok"
    ready = api.get("/readyz").json()
    assert ready == {"status": "ok", "checks": {"redis": "ok", "storage": "ok"}}
    assert "ingest_http_requests_total" in api.get("/metrics").text
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/v1/documents", "/v1/jobs/{job_id}", "/v1/records", "/v1/records/{record_id}"} <= set(paths)
    schema = api.get("/v1/schema/record").json()
    assert {"id", "text", "fingerprints", "pipeline"} <= set(schema["properties"])


def test_a_json_lines_upload_is_stored_once_and_its_documents_page_by_cursor(
    api: httpx.Client, collection: str, object_store: ObjectStore, wait_job: Callable[..., dict[str, Any]]
) -> None:
    lines = [json.dumps({"id": f"n{i}", "text": f"Line {i}: {ARTICLE.decode()[i * 7 :]}"}) for i in range(25)]
    lines[3] = "{not json"
    body = "\n".join(lines).encode()
    job = wait_job(api, _upload(api, collection, [("batch.jsonl", body)]).json()["id"])
    assert object_store.list_after(f"raw/{collection}/") == [
        raw_key(collection, hashlib.sha256(body).hexdigest())
    ]
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/v1/jobs/{job['id']}", params=params).json()
        pages.append(page["documents"])
        if (cursor := page["next_cursor"]) is None:
            break
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [d["filename"] for p in pages for d in p] == [f"batch.jsonl!{i + 1}" for i in range(25)]
    rejected = api.get(f"/v1/jobs/{job['id']}", params={"status": "rejected"}).json()["documents"]
    assert [d["filename"] for d in rejected] == ["batch.jsonl!4"]
    assert api.get(f"/v1/jobs/{job['id']}", params={"cursor": "1-"}).status_code == 400
    from ingest_client.client import IngestClient

    with IngestClient(str(api.base_url)) as client:
        assert len(list(client.iter_documents(job["id"]))) == 25
        stored = next(d for d in client.iter_documents(job["id"], status="stored"))
    record = api.get(f"/v1/records/{stored['record_id']}").json()
    assert record["source"]["external_id"] == "n0"
    assert record["source"]["raw_key"] == raw_key(collection, hashlib.sha256(body).hexdigest())


def test_an_uploads_batches_are_marked_sent_once_it_is_answered(
    stack_settings: Settings, redis_client: redis.Redis[bytes], collection: str
) -> None:
    """Marking happens after the answer; until then a batch only counts as registered, which
    lets a watchdog send it again after the dispatch grace (harmless), never lose it."""
    unconsumed = stack_settings.redis_url.rsplit("/", 1)[0] + "/15"  # a broker no worker reads
    settings = stack_settings.model_copy(update={"broker_url": unconsumed})
    before = time.time()
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/v1/documents",
            files={"files": ("a.txt", b"The council met on Tuesday.")},
            data={"collection": collection},
        )
    assert answer.status_code == 202
    batches = [
        key
        for key in redis_client.scan_iter(match="ingest:batch:*")
        if redis_client.hget(key, "job") == answer.json()["id"].encode()
    ]
    assert len(batches) == 1
    assert redis_client.hget(batches[0], "state") == b"sent"
    due = redis_client.zscore("ingest:batches:due", batches[0].decode().rsplit(":", 1)[1])
    assert due is not None and due >= before + stack_settings.sent_timeout_seconds
