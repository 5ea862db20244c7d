"""A synchronous client for the ingest HTTP API (v1).

with IngestClient("http://127.0.0.1:8000") as api:
    jobs = api.submit(["articles/"], collection="news")
    done = [api.wait_for(job["id"], timeout=300) for job in jobs]
    for record in api.iter_records("news"):
        ...
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

import httpx

from ingest_client.errors import ApiUnreachable, ExportFailed, IngestAPIError, IngestError, WaitTimeoutError
from ingest_client.models import (
    EXPORT_TERMINAL_STATUSES,
    Delivery,
    Export,
    FeedPage,
    Job,
    JobList,
    JobListItem,
    Record,
    Webhook,
    job_finished,
)
from ingest_client.uploads import (
    MAX_BATCH_BYTES,
    MAX_BATCH_FILES,
    MultipartBody,
    UploadInput,
    collect_uploads,
    make_batches,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 503})
FOLLOW_RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""Answers that ``iter_records(follow=True)`` waits out: a proxy in front of a restarting API
answers 502/504 until it is back."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
LONG_POLL_STEP = 30.0
JOB_PAGE = 1000  # documents per page when a job is read whole
"""Longest single ``?wait=`` asked for; the server caps it too (60 s by default)."""

_sleep = time.sleep  # tests replace these
_monotonic = time.monotonic
_random = random.random


def default_base_url(environ: Mapping[str, str] | None = None) -> str:
    """The API's URL from the environment: ``INGEST_API_URL``, else
    ``http://127.0.0.1:$INGEST_API_PORT`` (the port ``make run`` binds), else the default."""
    env = os.environ if environ is None else environ
    url = env.get("INGEST_API_URL", "").strip()
    if url:
        return url
    port = env.get("INGEST_API_PORT", "").strip()
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise IngestError(f"INGEST_API_PORT must be a port number (1-65535), not {port!r}")
        return f"http://127.0.0.1:{int(port)}"
    return DEFAULT_BASE_URL


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential back-off with jitter: ``base * 2**(attempt-1)`` capped at ``cap``, then a
    random half to all of it, so clients cut off together do not all come back at once."""
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    return ceiling * (0.5 + 0.5 * _random())


@dataclass(frozen=True)
class UploadProgress:
    """Passed to ``on_progress`` while uploading: file payload bytes and files sent so far."""

    bytes_sent: int
    bytes_total: int
    files_sent: int
    files_total: int
    batches_sent: int
    batches_total: int


class IngestClient:
    """Client of one ingest API. Thread-compatible like ``httpx.Client`` (one per thread)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        *,
        max_retries: int = 4,
        max_retry_wait: float = 30.0,
        retry_backoff: float = 0.5,
        batch_files: int = MAX_BATCH_FILES,
        batch_bytes: int = MAX_BATCH_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``base_url``: None reads the environment (``default_base_url``).
        ``timeout``: seconds for connecting and for each read (long polls get extra).
        ``max_retries``: extra attempts after a 429/503 answer or a connection error (refused,
        reset, timed out). After a 429/503 the wait is its ``Retry-After``; otherwise it backs
        off exponentially from ``retry_backoff`` seconds (with jitter). Every wait is capped at
        ``max_retry_wait`` seconds. A request that may have reached the server is retried only
        when repeating it is safe: GET and the like, or a POST with an ``Idempotency-Key``.
        ``transport``: for tests (``httpx.MockTransport``)."""
        self.base_url = (base_url if base_url is not None else default_base_url()).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.retry_backoff = retry_backoff
        self.batch_files = batch_files
        self.batch_bytes = batch_bytes
        headers = {"Accept": "application/json", "User-Agent": "ingest-client/0.1"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- uploads -----------------------------------------------------------------------------

    def submit(
        self,
        items: Iterable[UploadInput] | str | os.PathLike[str],
        collection: str | None = None,
        source_name: str | None = None,
        idempotency_key: str | None = None,
        on_progress: Callable[[UploadProgress], None] | None = None,
        *,
        source_url: str | None = None,
        language: str | None = None,
    ) -> list[Job]:
        """Upload files, folders (walked, hidden files skipped) or ``(name, bytes)`` pairs.

        Sent in batches (at most ``batch_files`` files / ``batch_bytes`` bytes per request);
        each request creates one job, and the jobs are returned in order. With several batches
        the idempotency key of batch *i* is ``f"{idempotency_key}:{i}"``, so re-running the
        same submission returns the same jobs.
        """
        return list(
            self.iter_submit(
                items,
                collection=collection,
                source_name=source_name,
                idempotency_key=idempotency_key,
                on_progress=on_progress,
                source_url=source_url,
                language=language,
            )
        )

    def iter_submit(
        self,
        items: Iterable[UploadInput] | str | os.PathLike[str],
        collection: str | None = None,
        source_name: str | None = None,
        idempotency_key: str | None = None,
        on_progress: Callable[[UploadProgress], None] | None = None,
        *,
        source_url: str | None = None,
        language: str | None = None,
    ) -> Iterator[Job]:
        """Like ``submit``, yielding each job as soon as its batch is accepted, so a failure
        in a later batch does not hide the jobs already created."""
        uploads = collect_uploads(items)
        batches = make_batches(uploads, max_files=self.batch_files, max_bytes=self.batch_bytes)
        fields = [
            (name, value)
            for name, value in (
                ("collection", collection),
                ("source_name", source_name),
                ("source_url", source_url),
                ("language", language),
            )
            if value is not None
        ]
        bytes_total = sum(u.size for u in uploads)
        bytes_done = files_done = 0

        def report(bytes_sent: int, files_sent: int, batches_sent: int) -> None:
            if on_progress is not None:
                on_progress(
                    UploadProgress(
                        bytes_sent=bytes_sent,
                        bytes_total=bytes_total,
                        files_sent=files_sent,
                        files_total=len(uploads),
                        batches_sent=batches_sent,
                        batches_total=len(batches),
                    )
                )

        report(0, 0, 0)
        for index, batch in enumerate(batches):
            body = MultipartBody(fields=fields, files=[(u, u.read()) for u in batch])
            headers = {"Content-Type": body.content_type, "Content-Length": str(len(body))}
            if idempotency_key is not None:
                headers["Idempotency-Key"] = (
                    idempotency_key if len(batches) == 1 else f"{idempotency_key}:{index}"
                )
            base = bytes_done

            def make_content(
                base: int = base, body: MultipartBody = body, files: int = files_done, batch: int = index
            ) -> Iterator[bytes]:
                sent = 0

                def counted(n: int) -> None:
                    nonlocal sent
                    sent += n
                    report(base + sent, files, batch)

                return body.stream(counted)

            response = self._request("POST", "/v1/documents", headers=headers, content_factory=make_content)
            bytes_done += sum(u.size for u in batch)
            files_done += len(batch)
            report(bytes_done, files_done, index + 1)
            yield cast(Job, response.json())

    # --- jobs --------------------------------------------------------------------------------

    def job(
        self,
        job_id: str,
        wait: float | None = None,
        *,
        all_documents: bool = True,
        until: Literal["change", "final"] = "change",
    ) -> Job:
        """The job's current state; with ``wait``, long-poll up to that many seconds for a change
        (``until="final"``: only for the job to finish).

        The API answers a page of documents at a time; ``all_documents`` follows the pages so
        the job comes back whole (``all_documents=False``: counts and the first page only).
        """
        params: dict[str, Any] = {}
        timeout: float | None = None
        if wait is not None and wait > 0:
            params["wait"] = max(1, math.ceil(wait))
            timeout = self.timeout + params["wait"]
            if until != "change":
                params["until"] = until
        response = self._request("GET", f"/v1/jobs/{quote(job_id, safe='')}", params=params, timeout=timeout)
        job = cast(Job, response.json())
        return self._whole(job) if all_documents else job

    def iter_documents(self, job_id: str, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Every document of a job, page by page (``status``: only those in that state)."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": JOB_PAGE}
            if cursor:
                params["cursor"] = cursor
            if status:
                params["status"] = status
            page = self._request("GET", f"/v1/jobs/{quote(job_id, safe='')}", params=params).json()
            yield from page.get("documents") or []
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def _whole(self, job: Job) -> Job:
        cursor = job.get("next_cursor")
        if not cursor:
            return job
        documents = list(job.get("documents") or [])
        while cursor:
            params = {"limit": JOB_PAGE, "cursor": cursor}
            page = self._request(
                "GET", f"/v1/jobs/{quote(str(job.get('id')), safe='')}", params=params
            ).json()
            documents += page.get("documents") or []
            cursor = page.get("next_cursor")
        whole = dict(job)
        whole["documents"], whole["next_cursor"] = documents, None
        return cast(Job, whole)

    def wait_for(
        self,
        job_id: str,
        timeout: float | None = None,
        *,
        on_update: Callable[[Job], None] | None = None,
        min_interval: float = 0.5,
    ) -> Job:
        """Long-poll until the job is finished and return it. ``timeout`` None waits forever;
        past it, raise ``WaitTimeoutError`` (its ``job`` is the last state seen). ``on_update`` is
        called with each state received: the polls then answer on every change; without it,
        only when the job is final (one round trip for a small job)."""
        deadline = None if timeout is None else _monotonic() + timeout
        job: Job | None = None
        while True:
            step = LONG_POLL_STEP
            if deadline is not None:
                remaining = deadline - _monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(job_id, cast(float, timeout), cast("dict[str, Any] | None", job))
                step = min(step, remaining)
            started = _monotonic()
            previous = job
            until: Literal["change", "final"] = "change" if on_update is not None else "final"
            job = self.job(job_id, wait=step, all_documents=False, until=until)
            if on_update is not None:
                on_update(job)
            if job_finished(job):
                return self._whole(job)
            # A server that answers at once without a change (or ignores ?wait=) must not
            # make this a busy loop.
            elapsed = _monotonic() - started
            unchanged = previous is not None and previous.get("updated_at") == job.get("updated_at")
            if elapsed < min_interval and (unchanged or previous is None):
                _sleep(min_interval - elapsed)

    def jobs(
        self,
        *,
        collection: str | None = None,
        status: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> JobList:
        """One page of jobs, newest first: ``{"items": [...], "next": cursor or None}``.
        ``created_after``/``created_before``: ISO 8601 instants (exclusive bounds)."""
        params: dict[str, Any] = {"limit": limit}
        for name, value in (
            ("collection", collection),
            ("status", status),
            ("created_after", created_after),
            ("created_before", created_before),
            ("cursor", cursor),
        ):
            if value is not None:
                params[name] = value
        page = self._request("GET", "/v1/jobs", params=params).json()
        return {"items": list(page.get("items") or []), "next": page.get("next")}

    def iter_jobs(
        self,
        *,
        collection: str | None = None,
        status: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        page_size: int = 100,
    ) -> Iterator[JobListItem]:
        """Every job matching the filters, newest first, following ``next`` cursors."""
        cursor: str | None = None
        while True:
            page = self.jobs(
                collection=collection,
                status=status,
                created_after=created_after,
                created_before=created_before,
                limit=page_size,
                cursor=cursor,
            )
            yield from page["items"]
            cursor = page["next"]
            if not cursor:
                return

    # --- exports -----------------------------------------------------------------------------

    def create_export(
        self,
        collection: str,
        format: str = "parquet",
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> Export:
        """Asks for an export of the collection's records ingested in [since, until) (ISO 8601;
        all records when both are None); returns the export job (``queued``)."""
        body: dict[str, Any] = {"collection": collection, "format": format}
        if since is not None:
            body["since"] = since
        if until is not None:
            body["until"] = until
        content = json.dumps(body).encode()
        response = self._request(
            "POST",
            "/v1/exports",
            headers={"Content-Type": "application/json"},
            content_factory=lambda: iter([content]),
        )
        return cast(Export, response.json())

    def export(self, export_id: str) -> Export:
        """An export's status and, once it succeeded, the object keys it wrote."""
        return cast(Export, self._request("GET", f"/v1/exports/{quote(export_id, safe='')}").json())

    def wait_for_export(
        self, export_id: str, timeout: float | None = None, *, poll_interval: float = 1.0
    ) -> Export:
        """Polls until the export succeeded and returns it; raises ``ExportFailed`` if it failed
        and ``WaitTimeoutError`` past ``timeout`` seconds (None waits forever)."""
        deadline = None if timeout is None else _monotonic() + timeout
        while True:
            export = self.export(export_id)
            if export.get("status") in EXPORT_TERMINAL_STATUSES:
                if export.get("status") == "failed":
                    raise ExportFailed(dict(export))
                return export
            if deadline is not None and _monotonic() >= deadline:
                raise WaitTimeoutError(export_id, cast(float, timeout), dict(export))
            _sleep(poll_interval)

    def download_export(self, export: Export, directory: str | os.PathLike[str]) -> list[Path]:
        """Downloads every file of a succeeded export into ``directory`` (created if needed),
        named as in the bucket (``part-00000.parquet``…); returns the paths written."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, key in enumerate(export.get("keys") or []):
            path = target / key.rsplit("/", 1)[-1]
            self.download_export_file(str(export.get("id")), n, path)
            paths.append(path)
        return paths

    def download_export_file(self, export_id: str, n: int, path: str | os.PathLike[str]) -> Path:
        """Streams file ``n`` of an export to ``path`` (written whole or not at all)."""
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        url = f"/v1/exports/{quote(export_id, safe='')}/files/{int(n)}"
        try:
            with self._http.stream("GET", url) as response:
                if not response.is_success:
                    response.read()
                    raise api_error(response)
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        out.write(chunk)
        except httpx.TransportError as exc:
            partial.unlink(missing_ok=True)
            raise ApiUnreachable(self.base_url, _connect_reason(exc), retryable=True) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return target

    # --- webhooks ----------------------------------------------------------------------------

    def create_webhook(self, url: str, events: Iterable[str], collection: str | None = None) -> Webhook:
        """Subscribes ``url`` to a collection's ``job.finished`` / ``record.stored`` events. The
        answer's ``secret`` is shown only now: keep it to verify deliveries (``verify_webhook``)."""
        body: dict[str, Any] = {"url": url, "events": list(events)}
        if collection is not None:
            body["collection"] = collection
        content = json.dumps(body).encode()
        response = self._request(
            "POST",
            "/v1/webhooks",
            headers={"Content-Type": "application/json"},
            content_factory=lambda: iter([content]),
        )
        return cast(Webhook, response.json())

    def webhooks(self) -> list[Webhook]:
        return cast(list[Webhook], self._request("GET", "/v1/webhooks").json()["items"])

    def webhook(self, webhook_id: str) -> Webhook:
        return cast(Webhook, self._request("GET", f"/v1/webhooks/{quote(webhook_id, safe='')}").json())

    def delete_webhook(self, webhook_id: str) -> None:
        """Deletes the webhook; deliveries not yet sent are cancelled."""
        self._request("DELETE", f"/v1/webhooks/{quote(webhook_id, safe='')}")

    def webhook_deliveries(self, webhook_id: str, limit: int = 100) -> list[Delivery]:
        """The webhook's delivery log, newest first."""
        path = f"/v1/webhooks/{quote(webhook_id, safe='')}/deliveries"
        return cast(list[Delivery], self._request("GET", path, params={"limit": limit}).json()["items"])

    # --- records -----------------------------------------------------------------------------

    def record(self, record_id: str) -> Record:
        """One normalised record."""
        return cast(Record, self._request("GET", f"/v1/records/{quote(record_id, safe='')}").json())

    def records(self, collection: str | None = None, after: str | None = None, limit: int = 100) -> FeedPage:
        """One page of the feed: ``{"items": [...], "next": cursor or None}``."""
        return self._feed_page(collection, after, limit)

    def iter_records(
        self,
        collection: str | None = None,
        follow: bool = False,
        poll_interval: float = 2.0,
        *,
        after: str | None = None,
        limit: int = 100,
        on_retry: Callable[[IngestError, float], None] | None = None,
    ) -> Iterator[Record]:
        """Every record of the feed in ingestion order, following ``next`` cursors.

        Without ``follow`` it stops at the end of the feed. With ``follow`` it then keeps
        polling from the last cursor every ``poll_interval`` seconds; records already yielded
        since that cursor are not yielded again. A following feed also outlives the API going
        away (a restart, a deploy): connection errors and 429/502/503/504 answers are retried
        without limit, backing off exponentially up to ``max_retry_wait`` seconds (or waiting
        ``Retry-After``), and the feed resumes from its last cursor. ``on_retry(error, delay)``
        is called before each such wait. Other errors (401, 403, 400 …) are raised.
        """
        cursor = after
        seen_since_cursor: set[str] = set()
        failures = 0
        while True:
            try:
                # Following: this loop does the retrying (unbounded), not _request.
                page = self._feed_page(collection, cursor, limit, max_retries=0 if follow else None)
            except (ApiUnreachable, IngestAPIError) as exc:
                if not follow or not _worth_waiting_out(exc):
                    raise
                failures += 1
                delay = backoff_delay(failures, self.retry_backoff, self.max_retry_wait)
                if isinstance(exc, IngestAPIError) and exc.retry_after is not None:
                    delay = min(exc.retry_after, self.max_retry_wait)
                if on_retry is not None:
                    on_retry(exc, delay)
                _sleep(delay)
                continue
            failures = 0
            items = page["items"]
            fresh = [r for r in items if r.get("id") is None or r.get("id") not in seen_since_cursor]
            yield from fresh
            nxt = page["next"]
            if nxt is not None and nxt != cursor and items:
                cursor = nxt
                seen_since_cursor = set()
                continue
            if not follow:
                return
            seen_since_cursor.update(str(r["id"]) for r in fresh if r.get("id") is not None)
            _sleep(poll_interval)

    def _feed_page(
        self, collection: str | None, after: str | None, limit: int, *, max_retries: int | None = None
    ) -> FeedPage:
        params: dict[str, Any] = {"limit": limit}
        if collection is not None:
            params["collection"] = collection
        if after is not None:
            params["after"] = after
        page = self._request("GET", "/v1/records", params=params, max_retries=max_retries).json()
        return {"items": list(page.get("items") or []), "next": page.get("next")}

    # --- plumbing ----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content_factory: Callable[[], Iterator[bytes]] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> httpx.Response:
        """One API call: 429/503 answers and connection errors retried (bounded; see
        ``__init__``), errors raised. ``max_retries`` overrides the client's for this call."""
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method,
                    path,
                    params=params,
                    headers=headers,
                    content=content_factory() if content_factory is not None else None,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.TimeoutException):
                    reason = _timeout_reason(exc, timeout or self.timeout)
                else:
                    reason = _connect_reason(exc)
                retryable = _may_retry(exc, reason, method, headers)
                if retryable and attempt < retries:
                    attempt += 1
                    _sleep(backoff_delay(attempt, self.retry_backoff, self.max_retry_wait))
                    continue
                raise ApiUnreachable(self.base_url, reason, retryable=retryable) from exc
            if response.is_success:
                return response
            error = api_error(response)
            if response.status_code in RETRY_STATUSES and attempt < retries:
                attempt += 1
                if error.retry_after is not None:
                    delay = min(error.retry_after, self.max_retry_wait)
                else:
                    delay = backoff_delay(attempt, self.retry_backoff, self.max_retry_wait)
                _sleep(delay)
                continue
            raise error


def _may_retry(
    exc: httpx.TransportError, reason: str, method: str, headers: Mapping[str, str] | None
) -> bool:
    """Whether sending the request again is both useful and safe."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.ProxyError):
        return False  # a mistake on this side: the same request fails the same way
    if reason == "host name not found":
        return False
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # never reached the server
    # Reset, closed or timed out after sending: the server may have acted on it.
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    return any(name.lower() == "idempotency-key" for name in headers or {})


def _worth_waiting_out(exc: IngestError) -> bool:
    """For a following feed: an outage that may end by itself (not a refusal or a bad request)."""
    if isinstance(exc, ApiUnreachable):
        return exc.retryable
    return isinstance(exc, IngestAPIError) and exc.status in FOLLOW_RETRY_STATUSES


def api_error(response: httpx.Response) -> IngestAPIError:
    """An ``IngestAPIError`` from an error response, whatever its body looks like."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return IngestAPIError(
            status,
            str(err.get("code") or f"http_{status}"),
            str(err.get("message") or response.reason_phrase),
            err.get("details"),
            retry_after=retry_after,
        )
    if isinstance(body, dict) and "detail" in body:  # a framework default (e.g. FastAPI's 422)
        detail = body["detail"]
        message = detail if isinstance(detail, str) else response.reason_phrase
        code = "validation_error" if status == 422 else f"http_{status}"
        return IngestAPIError(status, code, message, detail, retry_after=retry_after)
    text = response.text.strip()
    message = response.reason_phrase or "error"
    if text:
        message = f"{message}: {text[:200]}"
    return IngestAPIError(status, f"http_{status}", message, None, retry_after=retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connect_reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(s in lowered for s in ("name or service not known", "nodename nor servname", "getaddrinfo")):
        return "host name not found"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server closed the connection ({text})"
    return text


def _timeout_reason(exc: httpx.TimeoutException, seconds: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out after {seconds:g}s"
    return f"no answer within {seconds:g}s"
