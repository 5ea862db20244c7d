"""Dedup indexes: one shared in Redis for workers, one in memory for offline runs.

Both answer the same question atomically: "is this article a copy of one already kept? If
not, keep it as canonical". Asking again for the same record id gives the same answer, so a
redelivered task does not turn an article into a duplicate of itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import redis

from ingest_core.keys import RedisKeys


@dataclass(frozen=True)
class DedupDecision:
    duplicate_of: str | None = None
    similarity: float | None = None
    near_duplicates: list[tuple[str, float]] = field(default_factory=list)


class DedupIndex(Protocol):
    def check_and_add(self, collection: str, record_id: str, content_sha256: str) -> DedupDecision: ...


class MemoryDedupIndex:
    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], str] = {}

    def check_and_add(self, collection: str, record_id: str, content_sha256: str) -> DedupDecision:
        owner = self._exact.setdefault((collection, content_sha256), record_id)
        if owner != record_id:
            return DedupDecision(duplicate_of=owner, similarity=1.0)
        return DedupDecision()


_EXACT = """
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if not owner then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return owner
"""


class RedisDedupIndex:
    def __init__(self, client: redis.Redis, keys: RedisKeys | None = None) -> None:
        self.keys = keys or RedisKeys()
        self._exact = client.register_script(_EXACT)

    def check_and_add(self, collection: str, record_id: str, content_sha256: str) -> DedupDecision:
        owner = self._exact(keys=[self.keys.dedup(collection) + ":exact"], args=[content_sha256, record_id])
        owner = owner.decode() if isinstance(owner, bytes) else str(owner)
        if owner != record_id:
            return DedupDecision(duplicate_of=owner, similarity=1.0)
        return DedupDecision()
