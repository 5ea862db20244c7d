"""One document through the pipeline, the same way online (Celery) and offline (CLI)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest_core.schema import DocStatus, Record
from ingest_core.tasks import Hints
from ingest_worker.pipeline import Pipeline, Reject, StageContext
from ingest_worker.pipeline.base import Article
from ingest_worker.pipeline.formats.hints import hinted_date, iso_date
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
    """The document as the stages see it, with the uploader's hints in the fields they fill;
    dates only as ISO 8601 (``hinted_date``), as the record promises."""
    hints = item.hints
    published_at, warning = hinted_date(hints.published_at, hints.language)
    fetched_at = iso_date(hints.fetched_at) if hints.fetched_at else None
    warnings = [warning] if warning else []
    if hints.fetched_at and fetched_at is None:
        warnings.append(f"fetched_at {hints.fetched_at[:40]!r} is not ISO 8601: ignored")
    return Article(
        raw=item.raw,
        collection=item.collection,
        filename=item.filename,
        declared_content_type=item.content_type,
        source_url=hints.source_url,
        source_name=hints.source_name,
        declared_language=hints.language,
        declared_title=hints.title,
        declared_published_at=published_at,
        external_id=hints.external_id,
        fetched_at=fetched_at,
        title=hints.title,
        published_at=published_at,
        record_id=record_id,
        warnings=warnings,
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
    return outcome_of(doc, pipeline, job_id=job_id, sha256=sha256, raw_key=raw_key)


@dataclass(frozen=True)
class BatchItem:
    """One document of a batch: its input, the record id it will get, its raw object."""

    input: DocumentInput
    record_id: str
    raw_key: str | None = None


def process_documents(
    items: Sequence[BatchItem],
    pipeline: Pipeline,
    ctx: StageContext,
    *,
    job_id: str | None = None,
    stop_on: tuple[type[BaseException], ...] = (),
) -> list[Outcome | Exception]:
    """``process_document`` for many documents at once (``Pipeline.run_batch``: stages with a
    batch entry point, such as the dedup index, do one call for all). Each place holds the
    document's outcome, or the exception that is not an input problem (a bug, an outage) for
    the caller to judge; ``stop_on`` exceptions propagate as ``Interrupted``."""
    articles = [to_article(item.input, item.record_id) for item in items]
    results = pipeline.run_batch(articles, ctx, stop_on=stop_on)
    outcomes: list[Outcome | Exception] = []
    for item, result in zip(items, results, strict=True):
        if isinstance(result, Reject):
            outcomes.append(Outcome(DocStatus.rejected, error=result.reason))
        elif isinstance(result, Exception):
            outcomes.append(result)
        else:
            sha256 = hashlib.sha256(item.input.raw).hexdigest()
            outcomes.append(outcome_of(result, pipeline, job_id=job_id, sha256=sha256, raw_key=item.raw_key))
    return outcomes


def outcome_of(
    doc: Article, pipeline: Pipeline, *, job_id: str | None, sha256: str, raw_key: str | None
) -> Outcome:
    """A document the stages went through: a duplicate, or a record to store."""
    if doc.duplicate_of is not None:
        return Outcome(DocStatus.duplicate, duplicate_of=doc.duplicate_of, similarity=doc.similarity)
    assert doc.record_id is not None
    record = build_record(
        doc,
        record_id=doc.record_id,
        job_id=job_id,
        sha256=sha256,
        raw_key=raw_key,
        pipeline_version=pipeline.version,
    )
    return Outcome(DocStatus.stored, record=record)
