"""Thin tasks: load raw bytes → run the pipeline → write the outcome.

Connection errors to Redis or S3 are retried with back-off; unreadable input is never retried
(it is ``rejected``); anything else is a bug and ends as ``failed`` with the error, so one bad
document never blocks the queue or kills the worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
import structlog
from botocore.exceptions import BotoCoreError, ClientError
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from ingest_core.errors import NotFound
from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, write_job_summary
from ingest_core.keys import record_key
from ingest_core.schema import DocStatus
from ingest_core.settings import Settings, get_settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import PROCESS_DOCUMENT, DocumentMessage
from ingest_worker.app import app
from ingest_worker.pipeline import Pipeline, StageContext, build_pipeline
from ingest_worker.pipeline.context import redis_context
from ingest_worker.process import DocumentInput, process_document

log = structlog.get_logger("ingest_worker.tasks")

_S3_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "500",
    "502",
    "503",
}


def is_transient(exc: BaseException) -> bool:
    """Infrastructure hiccups worth a retry, as opposed to bugs or bad input."""
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return code in _S3_TRANSIENT_CODES or status in _S3_TRANSIENT_CODES
    return False


@dataclass
class Runtime:
    """Per-process clients and pipeline, built after fork."""

    settings: Settings
    redis: redis.Redis[bytes]
    jobs: JobStore
    store: ObjectStore
    pipeline: Pipeline
    ctx: StageContext

    def warm_up(self) -> None:
        """Loads models once so the first document does not pay for it."""
        from ingest_worker.pipeline.language import _identifier

        _identifier()


@cache
def runtime() -> Runtime:
    return build_runtime(get_settings())


def build_runtime(settings: Settings) -> Runtime:
    client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
    return Runtime(
        settings=settings,
        redis=client,
        jobs=JobStore(client),
        store=ObjectStore.from_settings(settings),
        pipeline=build_pipeline(),
        ctx=redis_context(client, settings),
    )


@app.task(name=PROCESS_DOCUMENT, bind=True, acks_late=True, max_retries=None)
def process_document_task(self: Task, message: dict[str, Any]) -> str:
    msg = DocumentMessage.model_validate(message)
    rt = runtime()
    bound = log.bind(job_id=msg.job_id, doc_id=msg.doc_id)
    try:
        return handle_document(msg, rt)
    except SoftTimeLimitExceeded:
        bound.warning("document.time_limit")
        _finish(rt, msg, DocStatus.rejected, error="processing time limit exceeded")
        return DocStatus.rejected.value
    except Exception as exc:
        if is_transient(exc) and self.request.retries < rt.settings.task_max_retries:
            countdown = min(2 ** (self.request.retries + 1), rt.settings.task_retry_backoff_max)
            bound.warning("document.retry", error=str(exc), retries=self.request.retries, countdown=countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc
        bound.exception("document.failed")
        reason = f"{type(exc).__name__}: {exc}"
        if is_transient(exc):
            reason = f"gave up after {self.request.retries + 1} attempts: {reason}"
        try:
            _finish(rt, msg, DocStatus.failed, error=reason)
        except Exception:  # Redis itself is gone: the task fails and Celery logs it
            bound.exception("document.failed_unrecorded")
            raise exc from None
        return DocStatus.failed.value


def handle_document(msg: DocumentMessage, rt: Runtime) -> str:
    verdict = rt.jobs.start(msg.job_id, msg.doc_id, new_id())
    if not verdict.go:
        return "skipped"
    try:
        raw = rt.store.get(msg.raw_key)
    except NotFound:
        _finish(rt, msg, DocStatus.failed, error=f"raw object {msg.raw_key} is missing from the bucket")
        return DocStatus.failed.value
    item = DocumentInput.from_message(msg, raw)
    outcome = process_document(
        item,
        rt.pipeline,
        rt.ctx,
        record_id=verdict.record_id,
        job_id=msg.job_id,
        raw_key=msg.raw_key,
        sha256=msg.sha256,
    )
    if outcome.status == DocStatus.stored:
        assert outcome.record is not None
        record = outcome.record
        key = record_key(msg.collection, record.id)
        body = json.dumps(record.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        rt.store.put_if_absent(key, body, content_type="application/json")
        rt.jobs.publish_record(msg.collection, record.id, key)
        _finish(rt, msg, DocStatus.stored, record_id=record.id)
    else:
        _finish(
            rt,
            msg,
            outcome.status,
            duplicate_of=outcome.duplicate_of,
            similarity=outcome.similarity,
            error=outcome.error,
        )
    log.info("document.done", job_id=msg.job_id, doc_id=msg.doc_id, status=outcome.status.value)
    return outcome.status.value


def _finish(rt: Runtime, msg: DocumentMessage, status: DocStatus, **fields: Any) -> None:
    transition = rt.jobs.finish(msg.job_id, msg.doc_id, status, **fields)
    if transition.job_finished:
        write_job_summary(rt.jobs, rt.store, msg.job_id)
