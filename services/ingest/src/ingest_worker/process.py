"""One document through the pipeline, the same way online (Celery) and offline (CLI)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ingest_core.schema import DocStatus, Record
from ingest_core.tasks import Hints
from ingest_worker.pipeline import Pipeline, Reject, StageContext
from ingest_worker.pipeline.base import Article
from ingest_worker.record import build_record


@dataclass(frozen=True)
class DocumentInput:
    """One document's bytes and what the uploader said of it, online and offline alike."""

    raw: bytes
    collection: str
    filename: str | None = None
    content_type: str | None = None
    hints: Hints = field(default_factory=Hints)


@dataclass(frozen=True)
class Outcome:
    status: DocStatus
    record: Record | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    error: str | None = None


def to_article(item: DocumentInput, record_id: str) -> Article:
    return Article(
        raw=item.raw,
        collection=item.collection,
        filename=item.filename,
        declared_content_type=item.content_type,
        source_url=item.hints.source_url,
        source_name=item.hints.source_name,
        declared_language=item.hints.language,
        declared_title=item.hints.title,
        declared_published_at=item.hints.published_at,
        external_id=item.hints.external_id,
        fetched_at=item.hints.fetched_at,
        title=item.hints.title,
        published_at=item.hints.published_at,
        record_id=record_id,
    )


def process_document(
    item: DocumentInput,
    pipeline: Pipeline,
    ctx: StageContext,
    *,
    record_id: str,
    job_id: str | None = None,
    raw_key: str | None = None,
    sha256: str | None = None,
) -> Outcome:
    """Runs the stages; unreadable input becomes ``rejected``, never an exception.

    Infrastructure errors (Redis, S3) propagate so the caller can retry them.
    """
    sha256 = sha256 or hashlib.sha256(item.raw).hexdigest()
    try:
        doc = pipeline.run(to_article(item, record_id), ctx)
    except Reject as exc:
        return Outcome(DocStatus.rejected, error=exc.reason)
    if doc.duplicate_of is not None:
        return Outcome(DocStatus.duplicate, duplicate_of=doc.duplicate_of, similarity=doc.similarity)
    record = build_record(
        doc,
        record_id=record_id,
        job_id=job_id,
        sha256=sha256,
        raw_key=raw_key,
        pipeline_version=pipeline.version,
    )
    return Outcome(DocStatus.stored, record=record)
