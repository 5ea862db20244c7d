"""Turns a finished ``Article`` into the schema-v1 record consumers read."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest_core import schema
from ingest_core.dates import published_at_precision
from ingest_core.keys import raw_key as make_raw_key
from ingest_worker.pipeline.base import Article


def build_record(
    doc: Article,
    *,
    record_id: str,
    job_id: str | None,
    sha256: str,
    raw_key: str | None,
    pipeline_version: str,
) -> schema.Record:
    dateline = None
    if doc.dateline_place or doc.dateline_agency:
        dateline = schema.Dateline(place=doc.dateline_place, agency=doc.dateline_agency)
    assert doc.content_sha256 is not None
    return schema.Record(
        id=record_id,
        collection=doc.collection,
        job_id=job_id,
        ingested_at=datetime.now(UTC),
        source=schema.Source(
            filename=doc.filename,
            content_type=doc.media_type or doc.content_type,
            encoding=doc.encoding,
            size_bytes=len(doc.raw),
            sha256=sha256,
            raw_key=raw_key or make_raw_key(doc.collection, sha256),
            url=doc.source_url,
            external_id=doc.external_id,
            site_name=doc.site_name or doc.source_name,
            fetched_at=doc.fetched_at,
        ),
        title=doc.title,
        description=doc.description,
        authors=doc.authors,
        published_at=doc.published_at,
        published_at_precision=published_at_precision(doc.published_at),
        dateline=dateline,
        language=doc.language,
        language_confidence=doc.language_confidence,
        text=doc.body,
        word_count=doc.word_count,
        captions=doc.captions,
        boilerplate=schema.Boilerplate(
            removed_lines=len(doc.removed),
            removed=[schema.RemovedLine(text=r.text[:500], reason=r.reason) for r in doc.removed],
        ),
        fingerprints=schema.Fingerprints(content_sha256=doc.content_sha256, simhash=doc.simhash),
        near_duplicates=[schema.NearDuplicate(id=i, similarity=round(s, 4)) for i, s in doc.near_duplicates],
        pipeline=schema.PipelineInfo(
            version=pipeline_version,
            stages=[schema.StageTiming(name=n, ms=round(ms, 3)) for n, ms in doc.timings],
            extractor=doc.extractor,
            warnings=doc.warnings,
        ),
    )
