"""Batch tasks: claim → read the batch's bytes → run the pipeline → write records → record
outcomes, flushed every few documents.

Recovery has one mechanism, the batch's entry in the outbox (``batches:due``): while a worker
runs a batch it keeps renewing a short lease there; when it dies, or Redis or S3 fail, the
entry falls due and a watchdog sends the batch again. A claim counts one attempt for each
unfinished document, so documents already finished are never redone, and a document that keeps
meeting infrastructure errors ends ``failed`` with its attempt count. Unreadable input is never
retried (``rejected``); a bug in one document fails that document only.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import redis
import structlog
from botocore.exceptions import BotoCoreError, ClientError
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from ingest_core.containers import Unreadable, open_document
from ingest_core.errors import NotFound
from ingest_core.ids import new_id
from ingest_core.jobs import DocOutcome, JobStore, StartVerdict, write_job_summary
from ingest_core.keys import record_key
from ingest_core.schema import DocStatus
from ingest_core.settings import Settings, get_settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import PROCESS_BATCH, BatchDocument, BatchMessage
from ingest_worker import metrics
from ingest_worker.app import app
from ingest_worker.pipeline import Pipeline, StageContext, build_pipeline
from ingest_worker.pipeline import warm_up as warm_pipeline
from ingest_worker.pipeline.base import Interrupted
from ingest_worker.pipeline.context import redis_context
from ingest_worker.process import BatchItem, DocumentInput, Outcome, process_documents

log = structlog.get_logger("ingest_worker.tasks")

FLUSH_DOCUMENTS = 16  # documents through the pipeline together, outcomes recorded after each such chunk
_DENSE_ENOUGH = 4  # one ranged GET when the span is at most this many times the bytes needed

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
    reader: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="batch-read")
    )  # reads a batch's bytes while its claim runs

    def warm_up(self) -> None:
        """Loads models and builds parser tables once, so the first documents do not pay for it;
        a no-op where the main process already did it before the fork (``app._warm_shared``)."""
        warm_pipeline()
        # What this process built so far lives as long as it does: out of the collector's
        # sight, a full collection no longer walks the models and tables (~2 ms a page saved).
        gc.freeze()


@cache
def runtime() -> Runtime:
    return build_runtime(get_settings())


def build_runtime(settings: Settings) -> Runtime:
    client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
    pipeline = build_pipeline()
    pipeline.observe = metrics.observe_stage
    return Runtime(
        settings=settings,
        redis=client,
        jobs=JobStore(client),
        store=ObjectStore.from_settings(settings),
        pipeline=pipeline,
        ctx=redis_context(client, settings),
    )


@app.task(name=PROCESS_BATCH, bind=True, acks_late=True)
def process_batch_task(self: Task, message: dict[str, Any]) -> str:
    return run_batch(BatchMessage.model_validate(message), runtime())


def run_batch(msg: BatchMessage, rt: Runtime) -> str:
    """Runs one delivery of a batch; returns what happened (for logs and tests)."""
    result = _BatchRun(msg, rt).run()
    metrics.BATCH_OUTCOMES.labels(result).inc()
    if result == "retry":
        metrics.RETRIES.inc()
    return result


class _Missing:
    """The stored upload a document points into is gone from the bucket."""


_MISSING = _Missing()


def fetch_batch(store: ObjectStore, documents: Sequence[BatchDocument]) -> dict[str, bytes | _Missing]:
    """Each document's encoded bytes, reading each stored upload once where the ranges are dense."""
    by_key: dict[str, list[BatchDocument]] = {}
    for doc in documents:
        by_key.setdefault(doc.locator.raw_key, []).append(doc)

    def read(key: str, docs: list[BatchDocument]) -> dict[str, bytes | _Missing]:
        start = min(d.locator.offset for d in docs)
        end = max(d.locator.end for d in docs)
        needed = sum(d.locator.length for d in docs)
        try:
            if end == start:
                return {d.doc_id: b"" for d in docs}
            if end - start <= _DENSE_ENOUGH * needed + 65536:
                span = store.get_range(key, start, end)
                return {d.doc_id: span[d.locator.offset - start : d.locator.end - start] for d in docs}
            return {
                d.doc_id: store.get_range(key, d.locator.offset, d.locator.end) if d.locator.length else b""
                for d in docs
            }
        except NotFound:
            return dict.fromkeys((d.doc_id for d in docs), _MISSING)

    if len(by_key) == 1:
        ((key, docs),) = by_key.items()
        return read(key, docs)
    out: dict[str, bytes | _Missing] = {}
    with ThreadPoolExecutor(max_workers=min(8, len(by_key))) as pool:
        for part in pool.map(lambda item: read(*item), by_key.items()):
            out.update(part)
    return out


@contextmanager
def keep_lease(jobs: JobStore, batch_id: str, lease_seconds: float) -> Iterator[None]:
    """Renews the batch's lease every third of it while the body runs, even in a long stage."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_seconds / 3):
            # Redis away: the batch falls due and is sent again, which is safe.
            with suppress(redis.RedisError):
                jobs.renew_lease(batch_id, time.time() + lease_seconds)

    thread = threading.Thread(target=renew, name=f"lease-{batch_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


@dataclass
class _Pending:
    outcome: DocOutcome
    body: bytes | None = None  # the record's JSON, for stored documents


@dataclass
class _BatchRun:
    msg: BatchMessage
    rt: Runtime
    verdicts: dict[str, StartVerdict] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    pending: list[_Pending] = field(default_factory=list)

    @property
    def lease(self) -> float:
        return self.rt.settings.batch_lease_seconds

    def run(self) -> str:
        msg, jobs = self.msg, self.rt.jobs
        bound = log.bind(job_id=msg.job_id, batch_id=msg.batch_id)
        ids = [doc.doc_id for doc in msg.documents]
        # The bytes are read while the claim runs, so the two round trips do not add up; only a
        # second delivery turns documents away, and then the read was merely wasted.
        reading = self.rt.reader.submit(fetch_batch, self.rt.store, msg.documents)
        try:
            verdicts = jobs.claim(
                msg.job_id,
                ids,
                [new_id() for _ in ids],
                batch_id=msg.batch_id,
                lease_until=time.time() + self.lease,
            )
        except redis.RedisError as exc:
            bound.warning("batch.claim_failed", error=str(exc))
            return "retry"  # the outbox entry stands: the watchdog sends it again
        if verdicts is None:
            return "skipped"  # finished by an earlier delivery
        self.verdicts = {doc_id: v for doc_id, v in zip(ids, verdicts, strict=True) if v.go}
        todo = [doc for doc in msg.documents if doc.doc_id in self.verdicts]
        metrics.BATCH_DOCUMENTS.observe(len(todo))
        try:
            with keep_lease(jobs, msg.batch_id, self.lease):
                self._process(todo, reading)
        except Exception as exc:
            # An outage backs off and comes back; so does anything else that broke the batch
            # as a whole, but only for the attempts allowed: a lasting error fails its documents
            # instead of sending the batch again forever.
            if is_transient(exc):
                bound.warning("batch.outage", error=f"{type(exc).__name__}: {exc}")
            else:
                bound.exception("batch.error")
            return "retry" if self._after_outage(todo, exc) else "done"
        bound.info("batch.done", documents=len(todo))
        return "done" if todo else "skipped"

    def _process(self, todo: list[BatchDocument], reading: Future[dict[str, bytes | _Missing]]) -> None:
        """Chunks of ``FLUSH_DOCUMENTS`` through the pipeline together (one dedup-index call
        each), each chunk's records and outcomes written before the next starts."""
        data = reading.result() if todo else {}  # a failed read raises here, as the batch's
        for start in range(0, len(todo), FLUSH_DOCUMENTS):
            chunk = todo[start : start + FLUSH_DOCUMENTS]
            try:
                self.pending.extend(self._chunk(chunk, data))
            except Interrupted as stop:
                # This document took the batch's time: it is rejected, the rest go on anew.
                doc = chunk[stop.position]
                log.warning("document.time_limit", job_id=self.msg.job_id, doc_id=doc.doc_id)
                self.pending.append(
                    _Pending(
                        DocOutcome(doc.doc_id, DocStatus.rejected, error="processing time limit exceeded")
                    )
                )
                self._flush(done=False)
                self.rt.jobs.reschedule(self.msg.batch_id, time.time())
                return
            if start + FLUSH_DOCUMENTS < len(todo):
                self._flush(done=False)
        self._flush(done=True)

    def _chunk(self, chunk: list[BatchDocument], data: dict[str, bytes | _Missing]) -> list[_Pending]:
        """Opens each document, runs the readable ones through the pipeline as one batch, and
        turns every result into its outcome; an outage propagates, as the batch's."""
        msg, rt = self.msg, self.rt
        done: dict[str, _Pending] = {}
        readable: list[BatchDocument] = []
        items: list[BatchItem] = []
        for doc in chunk:
            opened = self._open(doc, data[doc.doc_id])
            if isinstance(opened, _Pending):
                done[doc.doc_id] = opened
            else:
                readable.append(doc)
                items.append(BatchItem(opened, self.verdicts[doc.doc_id].record_id, doc.locator.raw_key))
        try:
            results = process_documents(
                items, rt.pipeline, rt.ctx, job_id=msg.job_id, stop_on=(SoftTimeLimitExceeded,)
            )
        except Interrupted as stop:  # its position in the chunk, for the caller
            raise Interrupted(chunk.index(readable[stop.position]), stop.cause) from stop
        for doc, result in zip(readable, results, strict=True):
            done[doc.doc_id] = self._pending(doc, result)
        return [done[doc.doc_id] for doc in chunk]

    def _open(self, doc: BatchDocument, data: bytes | _Missing) -> DocumentInput | _Pending:
        msg, rt = self.msg, self.rt
        if isinstance(data, _Missing):
            return _Pending(
                DocOutcome(doc.doc_id, DocStatus.failed, error="the uploaded file is missing from the bucket")
            )
        try:
            opened = open_document(doc, data, rt.settings.max_file_bytes)
        except Unreadable as exc:
            return _Pending(DocOutcome(doc.doc_id, DocStatus.rejected, error=exc.reason))
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # a bug in a codec: this document fails, never the batch forever
            log.exception("document.open_failed", job_id=msg.job_id, doc_id=doc.doc_id)
            return _Pending(DocOutcome(doc.doc_id, DocStatus.failed, error=f"{type(exc).__name__}: {exc}"))
        return DocumentInput(
            raw=opened.raw,
            collection=msg.collection,
            filename=doc.filename,
            content_type=opened.content_type,
            hints=opened.hints.over(msg.hints),
        )

    def _pending(self, doc: BatchDocument, result: Outcome | Exception) -> _Pending:
        """A pipeline result as the outcome to record; an outage is raised for the batch."""
        msg = self.msg
        if isinstance(result, Exception):
            if is_transient(result):
                raise result
            log.error(
                "document.failed",
                job_id=msg.job_id,
                doc_id=doc.doc_id,
                exc_info=(type(result), result, result.__traceback__),
            )
            error = f"{type(result).__name__}: {result}"
            return _Pending(DocOutcome(doc.doc_id, DocStatus.failed, error=error))
        if result.status == DocStatus.stored:
            assert result.record is not None
            key = record_key(msg.collection, result.record.id)
            body = result.record.model_dump_json().encode("utf-8")
            return _Pending(
                DocOutcome(doc.doc_id, DocStatus.stored, record_id=result.record.id, record_key=key), body
            )
        return _Pending(
            DocOutcome(
                doc.doc_id,
                result.status,
                duplicate_of=result.duplicate_of,
                similarity=result.similarity,
                error=result.error,
            )
        )

    def _flush(self, *, done: bool) -> None:
        """Writes the pending records (conditional puts), then records every outcome at once."""
        rt = self.rt
        writes = [(p.outcome.record_key, p.body) for p in self.pending if p.body is not None]
        self._put_records(writes)
        outcomes = [p.outcome for p in self.pending]
        transition = rt.jobs.finish_many(
            self.msg.job_id,
            self.msg.collection,
            outcomes,
            batch_id=self.msg.batch_id,
            batch_done=done,
            lease_until=time.time() + self.lease,
        )
        self.finished.update(o.doc_id for o in outcomes)
        for outcome in outcomes:
            metrics.DOCUMENTS.labels(outcome.status.value).inc()
        self.pending.clear()
        if transition.job_finished:
            try:
                write_job_summary(rt.jobs, rt.store, self.msg.job_id, rt.settings.job_retention_seconds)
            except Exception:  # still queued for it: the watchdog writes it
                log.warning("job.summary_deferred", job_id=self.msg.job_id, exc_info=True)

    def _put_records(self, writes: Sequence[tuple[str | None, bytes | None]]) -> None:
        store = self.rt.store

        def put(item: tuple[str | None, bytes | None]) -> None:
            key, body = item
            assert key is not None and body is not None
            store.put_if_absent(key, body, content_type="application/json")

        if len(writes) <= 1:
            for item in writes:
                put(item)
            return
        with ThreadPoolExecutor(max_workers=min(8, len(writes))) as pool:
            list(pool.map(put, writes))

    def _after_outage(self, todo: list[BatchDocument], exc: BaseException) -> bool:
        """Documents past their attempts fail with the count; the rest wait a back-off.

        True when documents wait to be sent again.
        """
        rt, msg = self.rt, self.msg
        error = f"{type(exc).__name__}: {exc}"
        unfinished = [d.doc_id for d in todo if d.doc_id not in self.finished]
        limit = rt.settings.task_max_retries + 1
        give_up = [d for d in unfinished if self.verdicts[d].attempts >= limit]
        retry = [d for d in unfinished if self.verdicts[d].attempts < limit]
        try:
            if give_up:
                outcomes = [
                    DocOutcome(
                        d,
                        DocStatus.failed,
                        error=f"gave up after {self.verdicts[d].attempts} attempts: {error}",
                    )
                    for d in give_up
                ]
                rt.jobs.finish_many(
                    msg.job_id, msg.collection, outcomes, batch_id=msg.batch_id, batch_done=not retry
                )
            if retry:
                rt.jobs.note_error(retry, error)
                attempts = min(self.verdicts[d].attempts for d in retry)
                backoff = min(2.0**attempts, float(rt.settings.task_retry_backoff_max))
                rt.jobs.reschedule(msg.batch_id, time.time() + backoff)
        except redis.RedisError:
            return True  # Redis itself is away: the lease runs out and the watchdog sends it again
        return bool(retry)
