"""One document through the pipeline, the same way online (Celery) and offline (CLI)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ingest_core.formats import JsonlArticle
from ingest_core.schema import DocStatus, Record
from ingest_core.tasks import DocumentMessage
from ingest_worker.pipeline import Pipeline, Reject, StageContext
from ingest_worker.pipeline.base import Article
from ingest_worker.record import build_record


@dataclass(frozen=True)
class DocumentInput:
    raw: bytes
    collection: str
    filename: str | None = None
    content_type: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    language: str | None = None
    title: str | None = None
    published_at: str | None = None

    @classmethod
    def from_message(cls, msg: DocumentMessage, raw: bytes) -> DocumentInput:
        """A queued document, its bytes fetched from the bucket."""
        return cls(
            raw=raw,
            collection=msg.collection,
            filename=msg.filename,
            content_type=msg.content_type,
            source_url=msg.source_url,
            source_name=msg.source_name,
            language=msg.language,
            title=msg.title,
            published_at=msg.published_at,
        )

    @classmethod
    def from_jsonl(cls, article: JsonlArticle, collection: str, filename: str) -> DocumentInput:
        """One line of a JSON Lines batch."""
        return cls(
            raw=article.body.encode("utf-8"),
            collection=collection,
            filename=filename,
            content_type=article.content_type,
            source_url=article.url,
            source_name=article.source_name,
            language=article.language,
            title=article.title,
            published_at=article.published_at,
        )


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
        source_url=item.source_url,
        source_name=item.source_name,
        declared_language=item.language,
        declared_title=item.title,
        declared_published_at=item.published_at,
        title=item.title,
        published_at=item.published_at,
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
