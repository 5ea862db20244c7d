"""POST /v1/documents: store uploads first, then create the job, then enqueue by task name."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from typing import Any

import redis
import structlog
from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingest_api.deps import Authorized, ScopeDep, ServicesDep, TenantScope
from ingest_api.errors import error_responses
from ingest_api.examples import QUEUED_JOB, json_example
from ingest_api.limits import check_queue_depth
from ingest_api.metrics import DOCUMENTS_ACCEPTED, UPLOAD_BYTES
from ingest_api.routes.webhooks import check_webhook_url
from ingest_api.uploads import (
    FormMeta,
    IncomingFile,
    plan_batches,
    plan_documents,
    plan_file,
    request_fingerprint,
    store_files,
)
from ingest_core.errors import BadRequest, Conflict, PayloadTooLarge, UnsupportedMediaType
from ingest_core.ids import new_id
from ingest_core.keys import valid_collection
from ingest_core.languages import iso_639_1
from ingest_core.schema import JobView
from ingest_core.tasks import send_batch
from ingest_core.webhooks import new_secret

log = structlog.get_logger("ingest_api.documents")

CALLBACK_SECRET_HEADER = "Webhook-Secret"
"""The answer's header holding the secret an upload's ``callback_url`` deliveries are signed with."""

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Authorized])

_RAW_TYPES = {
    "text/plain",
    "text/html",
    "text/markdown",
    "text/csv",
    "application/xhtml+xml",
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/x-gtar",
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/x-jsonlines",
    "application/json",
    "application/warc",
    "application/x-warc",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "message/rfc822",
}

_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "collection": {"type": "string", "default": "default"},
                        "source_url": {"type": "string"},
                        "source_name": {"type": "string"},
                        "language": {"type": "string", "description": "ISO 639-1, when known"},
                        "callback_url": {
                            "type": "string",
                            "description": "Gets this job's `job.finished` webhook, signed with the "
                            "secret in the answer's `Webhook-Secret` header",
                        },
                    },
                }
            },
            "text/plain": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    "parameters": [
        {"name": "X-Filename", "in": "header", "required": False, "schema": {"type": "string"}},
        {"name": "X-Collection", "in": "header", "required": False, "schema": {"type": "string"}},
        {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}},
        {"name": "X-Callback-Url", "in": "header", "required": False, "schema": {"type": "string"}},
    ],
}


@router.post(
    "/documents",
    status_code=202,
    response_model=JobView,
    openapi_extra=_UPLOAD_SCHEMA,
    responses={202: json_example(QUEUED_JOB), **error_responses(400, 409, 413, 415, 422)},
    description=(
        "Stores each file first (`raw/{collection}/{sha256}`), registers the job and queues its "
        "documents; answers 202 with the job, `Location: /v1/jobs/{id}` and each document's id. "
        "Archives, JSON Lines, JSON arrays, WARC and feeds fan out into one document each. "
        "The same `Idempotency-Key` and body return the same job (409 with another body).\n\n"
        "Example: `curl -F files=@harbour.txt -F files=@scan.pdf -F collection=news "
        "http://127.0.0.1:8000/v1/documents`"
    ),
    summary="Upload one or more article files (multipart `files`, or a raw body with X-Filename)",
)
async def upload_documents(
    request: Request, response: Response, background: BackgroundTasks, services: ServicesDep, scope: ScopeDep
) -> JobView:
    settings = services.settings
    if services.broker is not None:  # before reading the body: a full queue costs the client nothing
        depth, retry_after = settings.max_queue_depth, settings.queue_full_retry_after_seconds
        await run_in_threadpool(check_queue_depth, services.broker, depth, retry_after)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        files, form = await _read_multipart(
            request, services.settings.default_collection, settings.max_files_per_request
        )
    else:
        files, form = await _read_raw_body(request, content_type, settings.default_collection)
    if not valid_collection(form.collection):
        raise BadRequest(
            "collection must be 1-63 characters of letters, digits, '.', '_' or '-'",
            details={"collection": form.collection},
        )
    if form.language and iso_639_1(form.language) is None:
        message = "language must name an ISO 639-1 code, such as 'en' or 'pt-BR'"
        raise BadRequest(message, details={"language": form.language})
    try:
        form = dataclasses.replace(form, collection=scope.internal(form.collection))
        job, callback_secret, sent = await run_in_threadpool(
            _accept, services, scope, files, form, request.headers.get("idempotency-key")
        )
    finally:
        for item in files:
            item.fileobj.close()
    response.status_code = 202
    if callback_secret:
        response.headers[CALLBACK_SECRET_HEADER] = callback_secret
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    if sent:
        # After the answer: until then the batches count as registered, which only means a
        # watchdog might send one again after dispatch_grace_seconds (harmless, never lost).
        background.add_task(_mark_sent, services, sent)
    return job


def _mark_sent(services: ServicesDep, batch_ids: list[str]) -> None:
    """Tells the watchdog the batches are in the broker; Redis away only means it may resend."""
    try:
        services.jobs.mark_sent(batch_ids, time.time() + services.settings.sent_timeout_seconds)
    except redis.RedisError:
        log.warning("upload.mark_sent_failed", batches=len(batch_ids), exc_info=True)


def _accept(
    services: ServicesDep, scope: TenantScope, files: list[IncomingFile], form: FormMeta, idem_key: str | None
) -> tuple[JobView, str | None, list[str]]:
    """Hash, de-duplicate the request, store, register, enqueue: in that order.

    ``form.collection`` is the internal name; the answer shows the tenant's own. With a
    ``callback_url`` (checked first), also the secret its webhook is signed with; and the ids
    of the batches sent, to be marked sent.
    """
    jobs = services.jobs
    tenant = scope.principal.tenant
    callback: tuple[str, str] | None = None
    if form.callback_url:
        check_webhook_url(form.callback_url, services.settings, "callback_url")
        callback = (form.callback_url, new_secret())
    for item in files:
        item.measure()
        UPLOAD_BYTES.inc(item.size)
    job_id = new_id()
    if idem_key:
        if len(idem_key) > 200:
            raise BadRequest("Idempotency-Key is longer than 200 characters")
        try:
            existing = jobs.claim_idempotency_key(
                idem_key, request_fingerprint(form.collection, files), job_id, tenant=tenant
            )
        except ValueError as exc:
            raise Conflict(str(exc), details={"idempotency_key": idem_key}) from None
        if existing:
            view = jobs.get_job(existing, limit=services.settings.job_page_size)
            if view is not None:
                own = scope.own_job(view)
                earlier = jobs.callback(existing)
                return own, earlier[1] if earlier else None, []
    try:
        view, sent = _create_job(services, scope, files, form, job_id, callback)
        return scope.own_job(view), callback[1] if callback else None, sent
    except Exception:
        if idem_key:
            jobs.release_idempotency_key(idem_key, tenant=tenant)
        raise


def _create_job(  # noqa: PLR0917
    services: ServicesDep,
    scope: TenantScope,
    files: list[IncomingFile],
    form: FormMeta,
    job_id: str,
    callback: tuple[str, str] | None = None,
) -> tuple[JobView, list[str]]:
    """Stores each file once, registers the job with its batches (the outbox), then sends them;
    returns the job as registered and the ids of the batches sent.

    A crash after registering loses nothing: the workers' watchdog sends any batch still
    pending after ``dispatch_grace_seconds``.
    """
    settings, jobs = services.settings, services.jobs
    planned = [plan_file(item, settings, form.collection) for item in files]
    documents, to_process = plan_documents(planned)
    if len(documents) > settings.max_archive_members:
        raise PayloadTooLarge(
            f"the upload holds {len(documents)} documents (limit {settings.max_archive_members})"
        )
    if services.limiter is not None:
        services.limiter.check_documents(scope.principal, len(documents))
    store_files(planned, services.store)
    batches = plan_batches(job_id, form, to_process, settings)
    view = jobs.register_job(
        form.collection,
        documents,
        limit=settings.job_page_size,
        job_id=job_id,
        batches=[(b.batch_id, b.model_dump_json(exclude_defaults=True)) for b in batches],
        dispatch_by=time.time() + settings.dispatch_grace_seconds,
        callback=callback,
    )
    if settings.debug_pause_before_enqueue_seconds:
        time.sleep(settings.debug_pause_before_enqueue_seconds)
    celery = services.celery
    with celery.producer_or_acquire() as producer:
        for batch in batches:
            send_batch(celery, batch, settings, producer=producer)
    DOCUMENTS_ACCEPTED.inc(len(to_process))
    return view, [b.batch_id for b in batches]  # as registered: a worker may have moved it on already


async def _read_multipart(
    request: Request, default_collection: str, max_files: int
) -> tuple[list[IncomingFile], FormMeta]:
    form = await request.form(max_files=max_files, max_fields=50)  # closes its spools if it fails
    files: list[IncomingFile] = []
    for value in form.getlist("files"):
        if isinstance(value, UploadFile):
            files.append(IncomingFile(value.filename, value.content_type, value.file))
    for name, value in form.multi_items():  # file parts under other names are not ours to keep
        if name != "files" and isinstance(value, UploadFile):
            await value.close()
    if not files:
        raise BadRequest("no files: send one or more multipart parts named 'files'")

    def field(name: str) -> str | None:
        value = form.get(name)
        return value.strip() or None if isinstance(value, str) else None

    return files, FormMeta(
        collection=field("collection") or default_collection,
        source_url=field("source_url"),
        source_name=field("source_name"),
        language=field("language"),
        callback_url=field("callback_url"),
    )


async def _read_raw_body(
    request: Request, content_type: str, default_collection: str
) -> tuple[list[IncomingFile], FormMeta]:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media and media not in _RAW_TYPES and not media.startswith("text/"):
        raise UnsupportedMediaType(
            f"unsupported Content-Type {media!r}: send text, HTML, Markdown, PDF, DOCX, an email, "
            "JSON or JSON Lines, an RSS/Atom feed, a WARC, a zip/tar.gz archive or multipart/form-data",
            details={"content_type": media},
        )
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (closed by the caller)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            spool.write(chunk)
    except BaseException:  # over the size limit, client gone, cancelled: release the disk now
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise BadRequest("empty request body: send the file as the body, or use multipart 'files'")
    spool.seek(0)
    headers = request.headers
    filename = headers.get("x-filename") or "upload"
    meta = FormMeta(
        collection=(
            headers.get("x-collection") or request.query_params.get("collection") or default_collection
        ),
        source_url=headers.get("x-source-url") or request.query_params.get("source_url"),
        source_name=headers.get("x-source-name") or request.query_params.get("source_name"),
        language=headers.get("x-language") or request.query_params.get("language"),
        callback_url=headers.get("x-callback-url") or request.query_params.get("callback_url"),
    )
    return [IncomingFile(filename, media or None, spool)], meta
