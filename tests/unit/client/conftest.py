"""A small in-memory stand-in for the v1 HTTP API, served through ``httpx.MockTransport``."""

from __future__ import annotations

import email.parser
import email.policy
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_client.client import IngestClient

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"


def parse_multipart(request: httpx.Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """(form fields, [(filename, content type, bytes)]) of a multipart request, parsed by the
    standard library so the client's encoder is checked by an independent parser."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is not None:
            assert name == "files"
            files.append((filename, part.get_content_type(), payload))
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields, files


def job_json(
    job_id: str, status: str, documents: list[dict[str, Any]], collection: str = "default"
) -> dict[str, Any]:
    counts = {k: 0 for k in ("queued", "processing", "stored", "duplicate", "rejected", "failed")}
    for doc in documents:
        counts[doc["status"]] += 1
    return {
        "id": job_id,
        "status": status,
        "collection": collection,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "counts": {"total": len(documents), **counts},
        "documents": documents,
    }


def error_response(
    status: int, code: str, message: str, details: Any = None, **headers: str
) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "details": details}}
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeAPI:
    """Jobs finish on the first poll; a file whose name contains "bad" is rejected and one
    whose name contains "dup" is a duplicate of the first stored record."""

    requests: list[httpx.Request] = field(default_factory=list)
    uploads: list[tuple[dict[str, str], list[tuple[str, str, bytes]]]] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/v1/documents":
            return self._upload(request)
        if request.method == "GET" and path.startswith("/v1/jobs/"):
            job_id = path.rsplit("/", 1)[-1]
            if job_id not in self.jobs:
                return error_response(404, "job_not_found", f"no job {job_id}", {"job_id": job_id})
            self.polls += 1
            return httpx.Response(200, json=self._finish(self.jobs[job_id]))
        return error_response(404, "not_found", f"no route {path}")

    def _upload(self, request: httpx.Request) -> httpx.Response:
        fields, files = parse_multipart(request)
        self.uploads.append((fields, files))
        job_id = f"job{next(self._ids)}"
        docs = [
            {
                "id": f"{job_id}-d{i}",
                "filename": name,
                "status": "queued",
                "record_id": None,
                "duplicate_of": None,
                "similarity": None,
                "error": None,
            }
            for i, (name, _, _) in enumerate(files)
        ]
        job = job_json(job_id, "queued", docs, fields.get("collection", "default"))
        self.jobs[job_id] = job
        return httpx.Response(202, json=job, headers={"Location": f"/v1/jobs/{job_id}"})

    def _finish(self, job: dict[str, Any]) -> dict[str, Any]:
        first_record = None
        for doc in job["documents"]:
            name = doc["filename"] or ""
            if "bad" in name:
                doc.update(status="rejected", error="empty document")
            elif "dup" in name and first_record:
                doc.update(status="duplicate", duplicate_of=first_record, similarity=0.97)
            else:
                doc.update(status="stored", record_id=f"rec-{doc['id']}")
                first_record = first_record or doc["record_id"]
        bad = any(d["status"] == "rejected" for d in job["documents"])
        finished = job_json(
            job["id"], "partially_failed" if bad else "succeeded", job["documents"], job["collection"]
        )
        self.jobs[job["id"]] = finished
        return finished

    def client(self, **kwargs: Any) -> IngestClient:
        return IngestClient("http://api.test", transport=httpx.MockTransport(self.handler), **kwargs)


@pytest.fixture
def fake_api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace the client's sleep; the list collects the requested delays."""
    from ingest_client import client as client_module

    slept: list[float] = []
    monkeypatch.setattr(client_module, "_sleep", slept.append)
    return slept


@pytest.fixture
def closed_port_url() -> str:
    """A local URL on which nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
