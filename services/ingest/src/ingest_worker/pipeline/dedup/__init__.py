"""Exact and near duplicate detection, scoped to a collection."""

from ingest_worker.pipeline.dedup.index import (
    DedupDecision,
    DedupIndex,
    MemoryDedupIndex,
    RedisDedupIndex,
)
from ingest_worker.pipeline.dedup.stage import Deduplicate

__all__ = ["DedupDecision", "DedupIndex", "Deduplicate", "MemoryDedupIndex", "RedisDedupIndex"]
