"""The dedup stage: asks the index, marks the article duplicate or canonical."""

from __future__ import annotations

from ingest_worker.pipeline.base import Article, StageContext


class Deduplicate:
    name = "dedup"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if not ctx.dedup_enabled or ctx.dedup_index is None:
            return doc
        assert doc.record_id and doc.content_sha256
        decision = ctx.dedup_index.check_and_add(doc.collection, doc.record_id, doc.content_sha256)
        doc.duplicate_of = decision.duplicate_of
        doc.similarity = decision.similarity
        doc.near_duplicates = list(decision.near_duplicates)
        return doc
