"""The client's errors: one base class, so callers can catch everything with one clause."""

from __future__ import annotations

from typing import Any


class IngestError(Exception):
    """Base of every error raised by ``ingest_client``."""


class IngestAPIError(IngestError):
    """The API answered with an error (4xx/5xx); fields come from its ``{"error": {...}}`` body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after


class ApiUnreachable(IngestError):
    """No HTTP answer at all: connection refused or reset, unknown host, timeout.

    ``retryable``: whether trying again later may succeed and is safe (False for an unknown
    host, an unsupported URL scheme, or an upload without idempotency key that may have arrived).
    """

    def __init__(self, base_url: str, reason: str, *, retryable: bool = True) -> None:
        super().__init__(f"cannot reach the ingest API at {base_url}: {reason} — is it running? (make run)")
        self.base_url = base_url
        self.reason = reason
        self.retryable = retryable


class WaitTimeoutError(IngestError, TimeoutError):
    """``wait_for`` gave up before the job finished; ``job`` is the last state seen."""

    def __init__(self, job_id: str, timeout: float, job: dict[str, Any] | None) -> None:
        status = job.get("status") if job else "unknown"
        super().__init__(f"job {job_id} not finished after {timeout:g}s (status: {status})")
        self.job_id = job_id
        self.timeout = timeout
        self.job = job


class ExportFailed(IngestError):
    """The export ended ``failed``; ``export`` is its last state (``error`` says why)."""

    def __init__(self, export: dict[str, Any]) -> None:
        super().__init__(f"export {export.get('id')} failed: {export.get('error') or 'no reason given'}")
        self.export = export
