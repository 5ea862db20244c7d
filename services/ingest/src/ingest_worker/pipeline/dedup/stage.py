"""The dedup stages: fingerprint the body, then ask the shared index about it."""

from __future__ import annotations

from collections.abc import Sequence

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.dedup.index import DedupDecision, DedupItem
from ingest_worker.pipeline.dedup.minhash import fingerprint, simhash


class Fingerprint:
    """The body's 64-bit SimHash for the record (``fingerprints.simhash``): consumers use it
    for their own clustering; it runs even when dedup is off."""

    name = "fingerprint"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        doc.simhash = simhash(doc.body)
        return doc


class Deduplicate:
    """Exact and near duplicates in one atomic index call per article.

    Marks the article a duplicate (``duplicate_of``, ``similarity``; the runner then stops)
    or keeps it, listing the earlier records it resembles in ``near_duplicates``.
    """

    name = "dedup"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        return self.run_batch([doc], ctx)[0]

    def run_batch(self, docs: Sequence[Article], ctx: StageContext) -> list[Article]:
        """One index call per collection for the whole batch, decisions in document order."""
        if not ctx.dedup_enabled or ctx.dedup_index is None:
            return list(docs)
        by_collection: dict[str, list[Article]] = {}
        for doc in docs:
            if not doc.record_id or not doc.content_sha256:
                raise ValueError("dedup needs the record id and the normalised body's sha256")
            by_collection.setdefault(doc.collection, []).append(doc)
        for collection, group in by_collection.items():
            items = [DedupItem(d.record_id or "", d.content_sha256 or "", fingerprint(d.body)) for d in group]
            decisions: list[DedupDecision] = ctx.dedup_index.check_and_add_many(collection, items)
            for doc, decision in zip(group, decisions, strict=True):
                doc.duplicate_of = decision.duplicate_of
                doc.similarity = decision.similarity
                doc.near_duplicates = list(decision.near_duplicates)
        return list(docs)
