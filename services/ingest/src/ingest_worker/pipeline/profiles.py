"""Per-source line statistics: lines that recur across a source's documents are its furniture.

This is CCNet's idea run as a service: for each source (the uploader's ``source_name``, the
site name, or a fingerprint of a page's header and footer lines) count, for each short line,
in how many of that source's documents it appeared. The boilerplate classifier asks only
about lines its own rules cannot decide. Counts are shared by all workers in Redis (one hash
per source: line hash → documents, plus a document counter) and kept bounded: only short
lines are counted, a few thousand per document at most, a source's hash is trimmed of
one-off lines when it grows past its cap, and it expires when the source goes quiet.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import xxhash

from ingest_core.keys import RedisKeys

#: Lines longer than this are body paragraphs: never counted, never judged by the profile.
MAX_LINE_CHARS = 200
#: At most this many distinct lines of one document are counted.
MAX_LINES_PER_DOC = 2000
#: A source's table is trimmed of one-off lines beyond this many entries.
MAX_ENTRIES = 20_000
#: A source's statistics expire after this long without a new document (seconds).
TTL_SECONDS = 60 * 60 * 24 * 30
_DOCS = "_docs"


def line_hash(key: str) -> str:
    """A stable 64-bit hash of a folded line: 16 hex characters per entry."""
    return xxhash.xxh64_hexdigest(key.encode("utf-8"))


@dataclass(frozen=True)
class Thresholds:
    """When a line counts as this source's furniture."""

    min_docs: int = 5  # the source must have been seen this often before it is trusted
    min_count: int = 3  # ... and the line in at least this many documents
    min_share: float = 0.1  # ... and in at least this share of them

    def common(self, count: int, docs: int) -> bool:
        return docs >= self.min_docs and count >= self.min_count and count >= self.min_share * docs


class SourceProfiles(Protocol):
    """Line frequencies per source; ``lookup`` before ``observe`` so a document never counts itself."""

    def lookup(self, source: str, hashes: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(documents seen for the source, count per known hash)."""
        ...

    def observe(self, source: str, hashes: Iterable[str], doc_key: str) -> None:
        """Counts one document's lines once; the same ``doc_key`` twice counts once."""
        ...


class MemorySourceProfiles:
    """In-process profiles for offline runs and tests: the same algorithm, bounded the same way."""

    def __init__(self, max_sources: int = 10_000, max_entries: int = MAX_ENTRIES) -> None:
        self.max_sources = max_sources
        self.max_entries = max_entries
        self._tables: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def lookup(self, source: str, hashes: Sequence[str]) -> tuple[int, dict[str, int]]:
        table = self._tables.get(source)
        if table is None:
            return 0, {}
        return table.get(_DOCS, 0), {h: table[h] for h in hashes if h in table}

    def observe(self, source: str, hashes: Iterable[str], doc_key: str) -> None:
        seen_key = f"{source}\x00{doc_key}"
        if seen_key in self._seen:
            return
        self._seen[seen_key] = None
        if len(self._seen) > self.max_sources * 100:
            self._seen.popitem(last=False)
        table = self._tables.setdefault(source, {})
        self._tables.move_to_end(source)
        for h in _bounded(hashes):
            table[h] = table.get(h, 0) + 1
        table[_DOCS] = table.get(_DOCS, 0) + 1
        if len(table) > self.max_entries:
            for h in [h for h, n in table.items() if n <= 1 and h != _DOCS]:
                del table[h]
        while len(self._tables) > self.max_sources:
            self._tables.popitem(last=False)


class RedisSourceProfiles:
    """Profiles shared by every worker: one Redis hash per source, two round trips per document."""

    def __init__(
        self,
        client: Any,
        keys: RedisKeys | None = None,
        *,
        max_entries: int = MAX_ENTRIES,
        ttl_seconds: int = TTL_SECONDS,
    ) -> None:
        self.client = client
        self.keys = keys or RedisKeys()
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds

    def lookup(self, source: str, hashes: Sequence[str]) -> tuple[int, dict[str, int]]:
        if not hashes:
            return 0, {}
        values = self.client.hmget(self.keys.source_profile(source), [_DOCS, *hashes])
        docs = int(values[0] or 0)
        return docs, {h: int(v) for h, v in zip(hashes, values[1:], strict=True) if v is not None}

    def observe(self, source: str, hashes: Iterable[str], doc_key: str) -> None:
        key = self.keys.source_profile(source)
        # at-least-once delivery: a redelivered or re-uploaded document is counted once
        if not self.client.set(f"{key}:doc:{doc_key}", 1, nx=True, ex=self.ttl_seconds):
            return
        pipe = self.client.pipeline(transaction=False)
        for h in _bounded(hashes):
            pipe.hincrby(key, h, 1)
        pipe.hincrby(key, _DOCS, 1)
        pipe.expire(key, self.ttl_seconds)
        pipe.hlen(key)
        size = pipe.execute()[-1]
        if int(size) > self.max_entries:
            self._trim(key)

    def _trim(self, key: str) -> None:
        """Drops one-off lines; concurrent trims only lose counts of lines nobody repeats."""
        doomed = [
            field
            for field, value in self.client.hscan_iter(key, count=1000)
            if int(value) <= 1 and _text(field) != _DOCS
        ]
        for start in range(0, len(doomed), 1000):
            self.client.hdel(key, *doomed[start : start + 1000])


def _bounded(hashes: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(hashes))
    return unique[:MAX_LINES_PER_DOC]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
