"""Shapes of the v1 API's JSON, as plain dicts with type hints.

These mirror the API contract (docs: ARCHITECTURE.md, "HTTP API (v1)"); the client does not
import the server's models, so it installs alone. Unknown extra keys are kept as they come.
"""

from __future__ import annotations

from typing import Any, TypedDict

JOB_TERMINAL_STATUSES = frozenset({"succeeded", "partially_failed", "failed", "cancelled"})
DOC_TERMINAL_STATUSES = frozenset({"stored", "duplicate", "rejected", "failed"})
DOC_OK_STATUSES = frozenset({"stored", "duplicate"})
DOC_BAD_STATUSES = frozenset({"rejected", "failed"})


class Counts(TypedDict, total=False):
    total: int
    queued: int
    processing: int
    stored: int
    duplicate: int
    rejected: int
    failed: int


class Document(TypedDict, total=False):
    id: str
    filename: str | None
    status: str
    record_id: str | None
    duplicate_of: str | None
    similarity: float | None
    error: str | None
    attempts: int


class Job(TypedDict, total=False):
    id: str
    status: str
    collection: str
    created_at: str
    updated_at: str
    counts: Counts
    documents: list[Document]


class JobListItem(TypedDict, total=False):
    """A job in a listing: counts, no documents."""

    id: str
    status: str
    collection: str
    created_at: str
    updated_at: str
    counts: Counts


class JobList(TypedDict):
    items: list[JobListItem]
    next: str | None


EXPORT_TERMINAL_STATUSES = frozenset({"succeeded", "failed"})


class Export(TypedDict, total=False):
    """An export job: ``keys`` are the files written, file n downloads from
    ``/v1/exports/{id}/files/{n}``."""

    id: str
    status: str
    kind: str
    collection: str
    format: str
    since: str | None
    until: str | None
    day: str | None
    created_at: str
    updated_at: str
    rows: int
    keys: list[str]
    error: str | None


class Webhook(TypedDict, total=False):
    """A webhook subscription; ``secret`` only in the answer that created it."""

    id: str
    url: str
    events: list[str]
    collection: str
    created_at: str
    secret: str


class Delivery(TypedDict, total=False):
    """One event sent (or being sent) to a webhook; ``id`` is its ``webhook-id``."""

    id: str
    type: str
    status: str  # pending | delivered | failed | cancelled
    attempts: int
    created_at: str
    last_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    delivered_at: str | None


Record = dict[str, Any]
"""One normalised record (schema v1); see ``GET /v1/schema/record``."""


class FeedPage(TypedDict):
    items: list[Record]
    next: str | None


def job_finished(job: Job) -> bool:
    """True once the job is in a final state (documents may still be added until then:
    archives and JSON Lines batches fan out in the worker)."""
    return job.get("status") in JOB_TERMINAL_STATUSES
