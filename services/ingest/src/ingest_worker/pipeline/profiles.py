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

from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
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

    def repeated(self, hashes: Mapping[int, str], answer: Counts) -> frozenset[int] | None:
        """Which lines (index → hash) the profile's ``answer`` calls the source's furniture;
        None while the source has been seen too seldom to say."""
        docs, counts = answer
        if docs < self.min_docs:
            return None
        return frozenset(index for index, h in hashes.items() if self.common(counts.get(h, 0), docs))


#: What a source's profile says of one document's lines: (documents seen, count per known hash).
Counts = tuple[int, dict[str, int]]


@dataclass(frozen=True)
class ProfileVisit:
    """One document's turn at its source's profile: ``lookup`` of its lines, then ``observe``."""

    source: str
    hashes: Sequence[str]  # its short lines' hashes, distinct, in page order
    doc_key: str  # counts the document once, however often it is delivered

    @classmethod
    def of_page(cls, source: str, keys: Mapping[int, str], text: str) -> tuple[ProfileVisit, dict[int, str]]:
        """A page's visit from its short lines' folded keys (line index → key; empty keys are
        skipped) and its whole text (what counts it once); also the hash of each line by index."""
        hashes = {index: line_hash(key) for index, key in keys.items() if key}
        doc_key = xxhash.xxh64_hexdigest(text.encode("utf-8"))
        return cls(source, list(dict.fromkeys(hashes.values())), doc_key), hashes


class SourceProfiles(Protocol):
    """Line frequencies per source; ``lookup`` before ``observe`` so a document never counts itself."""

    def lookup(self, source: str, hashes: Sequence[str]) -> Counts:
        """(documents seen for the source, count per known hash)."""
        ...

    def observe(self, source: str, hashes: Iterable[str], doc_key: str) -> None:
        """Counts one document's lines once; the same ``doc_key`` twice counts once."""
        ...

    def visit_many(self, visits: Sequence[ProfileVisit]) -> list[Counts]:
        """``lookup`` then ``observe`` for each visit in order: what each lookup would have
        answered had the documents come one at a time (a batch's earlier documents count)."""
        ...


class MemorySourceProfiles:
    """In-process profiles for offline runs and tests: the same algorithm, bounded the same way."""

    def __init__(self, max_sources: int = 10_000, max_entries: int = MAX_ENTRIES) -> None:
        self.max_sources = max_sources
        self.max_entries = max_entries
        self._tables: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def lookup(self, source: str, hashes: Sequence[str]) -> Counts:
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

    def visit_many(self, visits: Sequence[ProfileVisit]) -> list[Counts]:
        answers = []
        for visit in visits:
            answers.append(self.lookup(visit.source, visit.hashes))
            self.observe(visit.source, visit.hashes, visit.doc_key)
        return answers


#: Counts each new document's lines into its source's profile, atomically per document.
#: KEYS: per document, its source's profile and its own seen-marker. ARGV: 1 ttl (s), 2 the
#: documents field, then per document: how many hashes, the hashes. Replies the profile's size
#: after each document (0: seen before, not counted again).
OBSERVE_MANY = """
local ttl, docs_field, at, sizes = ARGV[1], ARGV[2], 3, {}
for i = 1, #KEYS, 2 do
  local key, n = KEYS[i], tonumber(ARGV[at])
  if redis.call('SET', KEYS[i + 1], 1, 'NX', 'EX', ttl) then
    for j = at + 1, at + n do redis.call('HINCRBY', key, ARGV[j], 1) end
    redis.call('HINCRBY', key, docs_field, 1)
    redis.call('EXPIRE', key, ttl)
    sizes[#sizes + 1] = redis.call('HLEN', key)
  else
    sizes[#sizes + 1] = 0
  end
  at = at + n + 1
end
return sizes
"""


class RedisSourceProfiles:
    """Profiles shared by every worker: one Redis hash per source; a batch of documents takes
    two round trips in all (their lookups, then one script counting them)."""

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
        self._observe_many = client.register_script(OBSERVE_MANY)

    def lookup(self, source: str, hashes: Sequence[str]) -> Counts:
        values = self.client.hmget(self.keys.source_profile(source), [_DOCS, *hashes])
        return _counts(hashes, values)

    def observe(self, source: str, hashes: Iterable[str], doc_key: str) -> None:
        self._observe([(source, _bounded(hashes), doc_key)])

    def visit_many(self, visits: Sequence[ProfileVisit]) -> list[Counts]:
        """Every lookup in one pipeline, then every observation in one script; a document's
        answer adds what the batch's earlier documents of its source will have counted."""
        if not visits:
            return []
        pipe = self.client.pipeline(transaction=False)
        for visit in visits:
            key = self.keys.source_profile(visit.source)
            pipe.hmget(key, [_DOCS, *visit.hashes])
            pipe.exists(_seen_key(key, visit.doc_key))
        replies = pipe.execute()
        answers: list[Counts] = []
        earlier: dict[str, tuple[list[int], Counter[str]]] = {}  # per source: [documents], line counts
        counted: set[tuple[str, str]] = set()
        new: list[tuple[str, list[str], str]] = []
        for visit, values, seen in zip(visits, replies[::2], replies[1::2], strict=True):
            docs, lines = earlier.setdefault(visit.source, ([0], Counter()))
            stored_docs, stored = _counts(visit.hashes, values)
            answers.append((stored_docs + docs[0], _added(stored, lines, visit.hashes)))
            if seen or (visit.source, visit.doc_key) in counted:
                continue  # counted before: neither Redis nor the batch's later documents count it again
            counted.add((visit.source, visit.doc_key))
            bounded = _bounded(visit.hashes)
            docs[0] += 1
            lines.update(bounded)
            new.append((visit.source, bounded, visit.doc_key))
        self._observe(new)
        return answers

    def _observe(self, documents: Sequence[tuple[str, list[str], str]]) -> None:
        """Counts documents (source, bounded hashes, doc key) in one script call; trims what outgrew
        its cap."""
        if not documents:
            return
        keys: list[str] = []
        args: list[Any] = [self.ttl_seconds, _DOCS]
        for source, hashes, doc_key in documents:
            key = self.keys.source_profile(source)
            keys += [key, _seen_key(key, doc_key)]
            args += [len(hashes), *hashes]
        sizes = self._observe_many(keys=keys, args=args)
        for key in dict.fromkeys(keys[2 * i] for i, size in enumerate(sizes) if int(size) > self.max_entries):
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


def _seen_key(profile_key: str, doc_key: str) -> str:
    return f"{profile_key}:doc:{doc_key}"


def _counts(hashes: Sequence[str], values: Sequence[Any]) -> Counts:
    """An HMGET of ``[_DOCS, *hashes]`` as (documents, count per known hash)."""
    return int(values[0] or 0), {h: int(v) for h, v in zip(hashes, values[1:], strict=True) if v is not None}


def _added(stored: dict[str, int], lines: Counter[str], hashes: Sequence[str]) -> dict[str, int]:
    """``stored`` counts plus the batch's earlier documents' counts of the same lines."""
    if not lines:
        return stored
    out = dict(stored)
    for h in hashes:
        if h in lines:
            out[h] = out.get(h, 0) + lines[h]
    return out


def _bounded(hashes: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(hashes))
    return unique[:MAX_LINES_PER_DOC]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
