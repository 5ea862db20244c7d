"""Exact and near duplicate detection, scoped to a collection, shared by all workers."""

from ingest_worker.pipeline.dedup.index import (
    DedupDecision,
    DedupIndex,
    DedupItem,
    MemoryDedupIndex,
    RedisDedupIndex,
)
from ingest_worker.pipeline.dedup.minhash import Fingerprint as BodyFingerprint
from ingest_worker.pipeline.dedup.minhash import fingerprint, simhash
from ingest_worker.pipeline.dedup.stage import Deduplicate, Fingerprint

__all__ = [
    "BodyFingerprint",
    "DedupDecision",
    "DedupIndex",
    "DedupItem",
    "Deduplicate",
    "Fingerprint",
    "MemoryDedupIndex",
    "RedisDedupIndex",
    "fingerprint",
    "simhash",
]
