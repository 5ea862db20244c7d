"""The fingerprint and dedup stages on an Article."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.dedup import Deduplicate, Fingerprint, MemoryDedupIndex
from ingest_worker.pipeline.normalise import content_hash

BODY = "\n\n".join(
    f"Paragraph {i} of the story says something specific about item {i * 7} and its neighbours."
    for i in range(12)
)


def _article(record_id: str, body: str = BODY) -> Article:
    return Article(raw=b"", record_id=record_id, body=body, content_sha256=content_hash(body))


def test_the_fingerprint_stage_sets_a_simhash() -> None:
    doc = Fingerprint()(_article("a"), StageContext())
    assert doc.simhash is not None and len(doc.simhash) == 16


def test_the_dedup_stage_marks_a_copy_with_its_canonical_and_similarity() -> None:
    ctx = StageContext(dedup_index=MemoryDedupIndex())
    first = Deduplicate()(_article("a"), ctx)
    assert first.duplicate_of is None and first.near_duplicates == []
    copy = Deduplicate()(_article("b", "Breaking\n\n" + BODY + "\n\nAll rights reserved."), ctx)
    assert copy.duplicate_of == "a" and copy.similarity is not None and copy.similarity > 0.9


def test_the_dedup_stage_does_nothing_when_disabled() -> None:
    ctx = StageContext(dedup_index=MemoryDedupIndex(), dedup_enabled=False)
    Deduplicate()(_article("a"), ctx)
    assert Deduplicate()(_article("b"), ctx).duplicate_of is None


def test_the_dedup_stage_needs_a_record_id_and_a_content_hash() -> None:
    with pytest.raises(ValueError, match="record id"):
        Deduplicate()(Article(raw=b"", body=BODY), StageContext(dedup_index=MemoryDedupIndex()))
