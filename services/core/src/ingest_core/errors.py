"""One error hierarchy; each error knows its code and HTTP status."""

from __future__ import annotations

from typing import Any


class IngestError(Exception):
    """Base of every error the service reports to a caller."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, details: Any = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.retry_after = retry_after

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(IngestError):
    code, status = "bad_request", 400


class Unauthorized(IngestError):
    code, status = "unauthorized", 401


class Forbidden(IngestError):
    code, status = "forbidden", 403


class NotFound(IngestError):
    code, status = "not_found", 404


class Conflict(IngestError):
    code, status = "conflict", 409


class PayloadTooLarge(IngestError):
    code, status = "payload_too_large", 413


class UnsupportedMediaType(IngestError):
    code, status = "unsupported_media_type", 415


class ValidationFailed(IngestError):
    code, status = "validation_error", 422


class TooManyRequests(IngestError):
    """Over an API key's request or document rate; ``retry_after`` says when to come back."""

    code, status = "too_many_requests", 429


class ServiceUnavailable(IngestError):
    code, status = "service_unavailable", 503


class QueueFull(ServiceUnavailable):
    """The broker queue is deeper than ``max_queue_depth``: uploads wait."""

    code = "queue_full"


class StorageError(IngestError):
    """The object store failed; transient from the caller's point of view."""

    code, status = "storage_unavailable", 503
