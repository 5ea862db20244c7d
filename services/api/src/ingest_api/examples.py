"""Examples for the OpenAPI document, built through the response models so they keep their shape."""

from __future__ import annotations

from typing import Any

from ingest_core.schema import (
    DeliveryList,
    ExportView,
    FeedPage,
    JobList,
    JobView,
    Record,
    WebhookCreated,
    WebhookList,
)

_JOB_ID = "01JZ8Q3N4V6W7X8Y9Z0A1B2C3D"
_RECORD_ID = "01JZ8Q3P0K2M4N6P8Q0R2S4T6V"
_DOC_IDS = ("01JZ8Q3N4V6W7X8Y9Z0A1B2C3E", "01JZ8Q3N4V6W7X8Y9Z0A1B2C3F")

JOB = JobView.model_validate(
    {
        "id": _JOB_ID,
        "status": "partially_failed",
        "collection": "news",
        "created_at": "2025-07-02T09:30:00Z",
        "updated_at": "2025-07-02T09:30:02Z",
        "counts": {"total": 2, "stored": 1, "rejected": 1},
        "documents": [
            {
                "id": _DOC_IDS[0],
                "filename": "harbour.txt",
                "status": "stored",
                "record_id": _RECORD_ID,
                "attempts": 1,
            },
            {
                "id": _DOC_IDS[1],
                "filename": "scan.pdf",
                "status": "rejected",
                "error": "PDF has no text layer",
            },
        ],
    }
).model_dump(mode="json")

QUEUED_JOB = JobView.model_validate(
    {
        **JOB,
        "status": "queued",
        "updated_at": JOB["created_at"],
        "counts": {"total": 2, "queued": 2},
        "documents": [
            {"id": _DOC_IDS[0], "filename": "harbour.txt", "status": "queued"},
            {"id": _DOC_IDS[1], "filename": "scan.pdf", "status": "queued"},
        ],
    }
).model_dump(mode="json")

JOB_LIST = JobList.model_validate(
    {
        "items": [{k: JOB[k] for k in ("id", "status", "collection", "created_at", "updated_at", "counts")}],
        "next": None,
    }
).model_dump(mode="json")

RECORD = Record.model_validate(
    {
        "id": _RECORD_ID,
        "collection": "news",
        "job_id": _JOB_ID,
        "ingested_at": "2025-07-02T09:30:01Z",
        "source": {
            "filename": "harbour.txt",
            "content_type": "text/plain",
            "encoding": "utf-8",
            "size_bytes": 1432,
            "sha256": "9f2c1e0d4b7a6c5e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
            "raw_key": "raw/news/9f2c1e0d4b7a6c5e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
        },
        "title": "New container terminal delayed until March",
        "published_at": "2025-07-01",
        "language": "en",
        "text": "Harbour authorities in Valletta said on Tuesday that the new container terminal "
        "would open in March.\n\nEngineers found cracks in 40 of the concrete blocks.",
        "word_count": 28,
        "fingerprints": {
            "content_sha256": "3b8f0c2d1e4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4"
        },
        "pipeline": {"version": "1"},
    }
).model_dump(mode="json")

FEED = FeedPage.model_validate({"items": [RECORD], "next": "1751448601000-0"}).model_dump(mode="json")

EXPORT = ExportView.model_validate(
    {
        "id": "01JZ8R0A1B2C3D4E5F6G7H8J9K",
        "status": "succeeded",
        "collection": "news",
        "format": "parquet",
        "since": "2025-07-01T00:00:00Z",
        "until": "2025-07-02T00:00:00Z",
        "created_at": "2025-07-02T10:00:00Z",
        "updated_at": "2025-07-02T10:00:04Z",
        "rows": 1250,
        "keys": ["exports/requests/01JZ8R0A1B2C3D4E5F6G7H8J9K/part-00000.parquet"],
    }
).model_dump(mode="json")

EXPORT_REQUEST = {
    "collection": "news",
    "format": "parquet",
    "since": "2025-07-01T00:00:00Z",
    "until": "2025-07-02T00:00:00Z",
}

WEBHOOK_CREATED = WebhookCreated.model_validate(
    {
        "id": "01JZ8S1B2C3D4E5F6G7H8J9K0M",
        "url": "https://hooks.example.com/ingest",
        "events": ["job.finished", "record.stored"],
        "collection": "news",
        "created_at": "2025-07-02T09:00:00Z",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }
).model_dump(mode="json")
WEBHOOK = {k: v for k, v in WEBHOOK_CREATED.items() if k != "secret"}
WEBHOOK_LIST = WebhookList.model_validate({"items": [WEBHOOK]}).model_dump(mode="json")
WEBHOOK_REQUEST = {
    "url": "https://hooks.example.com/ingest",
    "events": ["job.finished", "record.stored"],
    "collection": "news",
}
DELIVERIES = DeliveryList.model_validate(
    {
        "items": [
            {
                "id": "msg_2b7f4c1e9a0d4e6f8a1b3c5d7e9f0a2b",
                "type": "record.stored",
                "status": "delivered",
                "attempts": 3,
                "created_at": "2025-07-02T10:00:01Z",
                "last_attempt_at": "2025-07-02T10:00:09Z",
                "last_status": 200,
                "delivered_at": "2025-07-02T10:00:09Z",
            }
        ]
    }
).model_dump(mode="json")

JOB_EVENTS = f'event: job\ndata: {{"id": "{_JOB_ID}", "status": "running", ...}}\n\n'
METRICS = "# HELP ingest_api_requests_total Requests served\n# TYPE ingest_api_requests_total counter\n"


def json_example(example: Any, media_type: str = "application/json") -> dict[str, Any]:
    """A success response's ``content`` with one example (merged with the response model)."""
    return {"content": {media_type: {"example": example}}}
