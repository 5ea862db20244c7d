"""The normalised record (schema v1) and the job shapes: what consumers build on.

The JSON Schema served at ``GET /v1/schema/record`` is generated from these models, so the
documentation cannot drift from what workers write.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest_core.dates import UtcInstant

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- record -------------------------------------------------------------------------------


class Source(_Model):
    filename: str | None = None
    content_type: str | None = Field(None, description="Detected media type of the raw bytes.")
    encoding: str | None = Field(None, description="Detected character encoding.")
    size_bytes: int = 0
    sha256: str = Field(..., description="sha256 of the raw bytes.")
    raw_key: str | None = Field(None, description="Key of the raw bytes in the bucket.")
    url: str | None = None
    external_id: str | None = Field(
        None, description="The uploader's own id (JSON Lines or JSON `id`, feed guid, WARC-Record-ID)."
    )
    site_name: str | None = None
    fetched_at: str | None = Field(
        None, description="When a crawler fetched the page (a WARC record's WARC-Date), ISO 8601."
    )


class Dateline(_Model):
    place: str | None = None
    agency: str | None = None


class RemovedLine(_Model):
    text: str
    reason: str


class Boilerplate(_Model):
    removed_lines: int = 0
    removed: list[RemovedLine] = Field(default_factory=list)


class Fingerprints(_Model):
    content_sha256: str
    simhash: str | None = Field(None, description="64-bit SimHash of the text, hex.")


class NearDuplicate(_Model):
    id: str
    similarity: float


class StageTiming(_Model):
    name: str
    ms: float


class PipelineInfo(_Model):
    version: str
    stages: list[StageTiming] = Field(default_factory=list)
    extractor: str | None = None
    warnings: list[str] = Field(default_factory=list)


class Record(_Model):
    """One unique article. Unknown fields are null or empty, never invented."""

    schema_version: int = SCHEMA_VERSION
    id: str
    collection: str
    job_id: str | None = None
    ingested_at: datetime
    source: Source
    title: str | None = None
    description: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_at: str | None = Field(None, description="ISO 8601; a date alone when only the date is known.")
    published_at_precision: Literal["day", "minute", "second"] | None = Field(
        None,
        description="How precise `published_at` is: `day` (a date alone), `minute` (a time whose "
        "seconds are zero or not printed) or `second`; null when there is no date or it is not "
        "ISO 8601.",
    )
    dateline: Dateline | None = None
    language: str | None = Field(None, description="ISO 639-1 code.")
    language_confidence: float | None = None
    text: str = Field(..., description="Clean body; paragraphs separated by one blank line.")
    word_count: int = 0
    captions: list[str] = Field(default_factory=list)
    boilerplate: Boilerplate = Field(default_factory=Boilerplate)
    fingerprints: Fingerprints
    near_duplicates: list[NearDuplicate] = Field(default_factory=list)
    pipeline: PipelineInfo


def record_json_schema() -> dict[str, Any]:
    schema = Record.model_json_schema()
    schema["$id"] = "urn:ingest:record:v1"
    return schema


# --- jobs ---------------------------------------------------------------------------------


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    partially_failed = "partially_failed"
    failed = "failed"
    cancelled = "cancelled"


class DocStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    stored = "stored"
    duplicate = "duplicate"
    rejected = "rejected"
    failed = "failed"


TERMINAL_DOC_STATUSES = frozenset(
    {DocStatus.stored, DocStatus.duplicate, DocStatus.rejected, DocStatus.failed}
)
TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.succeeded, JobStatus.partially_failed, JobStatus.failed, JobStatus.cancelled}
)


class JobCounts(_Model):
    total: int = 0
    queued: int = 0
    processing: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    failed: int = 0


class DocumentView(_Model):
    id: str
    filename: str | None = None
    status: DocStatus
    record_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    error: str | None = None
    attempts: int = 0


class JobView(_Model):
    id: str
    status: JobStatus
    collection: str
    created_at: datetime
    updated_at: datetime
    counts: JobCounts
    documents: list[DocumentView] = Field(
        default_factory=list,
        description="One page of the job's documents in upload order (see `next_cursor`).",
    )
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page of documents; null on the last page."
    )


class JobListItem(_Model):
    """A job in a listing: its counts, without its documents."""

    id: str
    status: JobStatus
    collection: str
    created_at: datetime
    updated_at: datetime
    counts: JobCounts


class JobList(_Model):
    items: list[JobListItem]
    next: str | None = Field(None, description="Pass as `cursor` for the next (older) page; null at the end.")


# --- exports ------------------------------------------------------------------------------

ExportFormat = Literal["parquet", "jsonl.gz"]


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ExportRequest(_Model):
    collection: str
    format: ExportFormat = "parquet"
    since: UtcInstant | None = Field(None, description="Records ingested at or after this instant.")
    until: UtcInstant | None = Field(None, description="Records ingested before this instant.")


class ExportView(_Model):
    id: str
    status: ExportStatus
    kind: Literal["request", "daily"] = Field(
        "request", description="`daily`: the scheduled compaction of one day (`day`) of a collection."
    )
    collection: str
    format: ExportFormat
    since: datetime | None = None
    until: datetime | None = None
    day: date | None = None
    created_at: datetime
    updated_at: datetime
    rows: int = Field(0, description="Records written, once succeeded.")
    keys: list[str] = Field(
        default_factory=list,
        description="Object keys written, in order; file n downloads at /v1/exports/{id}/files/{n}.",
    )
    error: str | None = None


# --- webhooks -----------------------------------------------------------------------------

WebhookEventType = Literal["job.finished", "record.stored"]


class WebhookRequest(_Model):
    url: str = Field(..., min_length=1, max_length=2048, description="http(s) URL deliveries are POSTed to.")
    events: list[WebhookEventType] = Field(..., min_length=1)
    collection: str | None = Field(None, description="The collection watched; the default one when absent.")


class WebhookView(_Model):
    id: str
    url: str
    events: list[WebhookEventType]
    collection: str
    created_at: datetime


class WebhookCreated(WebhookView):
    secret: str = Field(
        ...,
        description="The signing secret (`whsec_` + base64), shown only in this answer: verify each "
        "delivery's `webhook-signature` with it (Standard Webhooks).",
    )


class WebhookList(_Model):
    items: list[WebhookView]


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first attempt or a retry
    delivered = "delivered"
    failed = "failed"  # given up after `webhook_retry_for_seconds`
    cancelled = "cancelled"  # its webhook was deleted before it was delivered


class DeliveryView(_Model):
    id: str = Field(..., description="The event's `webhook-id`, the same on every attempt.")
    type: WebhookEventType
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_status: int | None = Field(None, description="HTTP status of the last attempt, if it got one.")
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


class DeliveryList(_Model):
    items: list[DeliveryView] = Field(..., description="Newest first.")


class FeedPage(_Model):
    items: list[Record]
    next: str | None = None


class ErrorBody(_Model):
    code: str
    message: str
    details: Any = None


class ErrorResponse(_Model):
    error: ErrorBody
