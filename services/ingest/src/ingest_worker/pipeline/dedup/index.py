"""Dedup indexes: one shared in Redis for workers, one in memory for offline runs.

Both answer "is this article a copy of one already kept? If not, keep it as canonical" with
the same algorithm, so ``ingest process`` and the workers decide alike on the same input in
the same order:

1. exact: the normalised body's sha256 (first 128 bits) maps to the canonical that owns it;
2. near: LSH band buckets give candidates, ``verify.decide`` checks them;
3. keep: a canonical gets the next *handle* (1, 2, 3 ... per collection), its fingerprint and
   its band bucket entries;
4. absorb: a near duplicate creates no entry, but its canonical's fingerprint grows to cover
   it (``verify.absorb``), so later copies are compared with all that was seen of the story.

Asking again for the same record id gives the same answer (tasks are redelivered): decisions
of near duplicates, and of canonicals that list near duplicates, are memoised; any other
canonical finds itself as the owner of its exact hash and recomputes its (empty) list from
the candidates that were there, unchanged, when it was kept.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import redis

from ingest_core.keys import RedisKeys
from ingest_worker.pipeline.dedup.lua import CHECK_AND_ADD, CHECK_AND_ADD_MANY, MEMO_TTL, RECORD_DUPLICATE
from ingest_worker.pipeline.dedup.minhash import MAX_NUMBERS, NUM_BANDS, NUM_BINS, Fingerprint
from ingest_worker.pipeline.dedup.verify import Candidate, absorb, decide

DAY = 86_400
DEFAULT_THRESHOLD = 0.6
DEFAULT_REPORT_THRESHOLD = 0.5
MIN_WINDOW = 4  # fewest articles a batch call carries after one that stopped early


@dataclass(frozen=True)
class DedupDecision:
    duplicate_of: str | None = None
    similarity: float | None = None
    near_duplicates: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class DedupItem:
    """One article to check: its record id, the normalised body's sha256, its fingerprint."""

    record_id: str
    content_sha256: str
    fingerprint: Fingerprint | None = None


class DedupIndex(Protocol):
    def check_and_add(
        self,
        collection: str,
        record_id: str,
        content_sha256: str,
        fingerprint: Fingerprint | None = None,
        *,
        now: float | None = None,
    ) -> DedupDecision: ...

    def check_and_add_many(
        self, collection: str, items: Sequence[DedupItem], *, now: float | None = None
    ) -> list[DedupDecision]:
        """The decisions of ``check_and_add`` called on each item in order."""
        ...


# --- the stored entry ------------------------------------------------------------------------
# format u8 | added_at u32 | rev u32 | shingles u32 | n_figures u8 | sha128 16B | signature
# 2*NUM_BINS B | id length u8 | id | figures u32 * n (little-endian). Fixed-offset fields first:
# the Lua scripts read them at fixed positions (see lua.py); rev is set by the scripts.
_HEAD = struct.Struct("<BIIIB16s")
_SIG_BYTES = 2 * NUM_BINS
SHA_OFFSET = _HEAD.size - 16
SIG_OFFSET = _HEAD.size
_VERSION = 1


def encode_entry(record_id: str, sha128: bytes, fp: Fingerprint, added_at: int) -> bytes:
    rid = record_id.encode()
    if len(rid) > 255:
        raise ValueError("record ids are ULIDs; longer than 255 bytes cannot be stored")
    return b"".join(
        [
            _HEAD.pack(_VERSION, added_at, 0, fp.size, len(fp.numbers), sha128),
            fp.signature.astype("<u2").tobytes(),
            bytes([len(rid)]),
            rid,
            _pack_figures(fp.numbers),
        ]
    )


def decode_entry(handle: int, blob: bytes) -> Candidate:
    _format, added_at, rev, size, n_numbers, _sha = _HEAD.unpack_from(blob)
    signature = np.frombuffer(blob, dtype="<u2", count=NUM_BINS, offset=SIG_OFFSET).astype(np.uint16)
    at = SIG_OFFSET + _SIG_BYTES
    rid_len = blob[at]
    record_id = blob[at + 1 : at + 1 + rid_len].decode()
    numbers = struct.unpack_from(f"<{n_numbers}I", blob, at + 1 + rid_len)
    return Candidate(handle, record_id, Fingerprint(signature, size, tuple(numbers)), added_at, rev)


def _pack_figures(numbers: tuple[int, ...]) -> bytes:
    return struct.pack(f"<{len(numbers)}I", *numbers)


def _sha128(content_sha256: str) -> bytes:
    return bytes.fromhex(content_sha256)[:16]


def _empty_fingerprint() -> Fingerprint:
    return Fingerprint(np.zeros(NUM_BINS, dtype=np.uint16), 0, ())


class MemoryDedupIndex:
    """The same algorithm in process memory, for ``ingest process`` and tests."""

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        report_threshold: float = DEFAULT_REPORT_THRESHOLD,
        window_days: float | None = None,
    ) -> None:
        self.threshold = threshold
        self.report_threshold = report_threshold
        self.window_days = window_days
        self._collections: dict[str, _MemoryCollection] = {}

    def check_and_add(
        self,
        collection: str,
        record_id: str,
        content_sha256: str,
        fingerprint: Fingerprint | None = None,
        *,
        now: float | None = None,
    ) -> DedupDecision:
        state = self._collections.setdefault(collection, _MemoryCollection())
        now_s = int(time.time() if now is None else now)
        cutoff = now_s - int(self.window_days * DAY) if self.window_days is not None else None

        def alive(candidate: Candidate) -> bool:
            return cutoff is None or candidate.added_at >= cutoff

        if record_id in state.memo:
            return state.memo[record_id]
        sha = _sha128(content_sha256)
        fp = fingerprint or _empty_fingerprint()
        found: dict[int, Candidate] = {}
        for key in fp.band_keys() if fingerprint is not None else []:
            for handle in state.buckets.get(key, ()):
                candidate = state.entries.get(handle)
                if candidate is not None and alive(candidate):
                    found[handle] = candidate
        owner = state.entries.get(state.exact.get(sha, 0))
        if owner is not None and alive(owner):
            if owner.record_id != record_id:
                return DedupDecision(duplicate_of=owner.record_id, similarity=1.0)
            return _canonical(fp, owner.handle, found.values(), self.threshold, self.report_threshold)
        outcome = decide(fp, found.values(), self.threshold, self.report_threshold)
        if outcome.duplicate_of is not None:
            decision = DedupDecision(outcome.duplicate_of.record_id, outcome.similarity)
            state.memo[record_id] = decision
            canonical = outcome.duplicate_of
            grown = absorb(canonical.fingerprint, fp)
            state.seq += 1  # the change's number, as the Redis index gives it
            state.entries[canonical.handle] = replace(canonical, fingerprint=grown, rev=state.seq)
            old = set(canonical.fingerprint.band_keys())
            for key in grown.band_keys():
                handles = state.buckets.setdefault(key, [])
                if key not in old and canonical.handle not in handles:
                    handles.append(canonical.handle)
            return decision
        state.seq += 1
        state.entries[state.seq] = Candidate(state.seq, record_id, fp, now_s, rev=state.seq)
        state.exact[sha] = state.seq
        for key in fp.band_keys() if fingerprint is not None else []:
            state.buckets.setdefault(key, []).append(state.seq)
        decision = DedupDecision(near_duplicates=outcome.near_duplicates)
        if decision.near_duplicates:
            state.memo[record_id] = decision
        return decision

    def check_and_add_many(
        self, collection: str, items: Sequence[DedupItem], *, now: float | None = None
    ) -> list[DedupDecision]:
        return [
            self.check_and_add(collection, i.record_id, i.content_sha256, i.fingerprint, now=now)
            for i in items
        ]


@dataclass
class _MemoryCollection:
    seq: int = 0
    entries: dict[int, Candidate] = field(default_factory=dict)
    exact: dict[bytes, int] = field(default_factory=dict)
    buckets: dict[bytes, list[int]] = field(default_factory=dict)
    memo: dict[str, DedupDecision] = field(default_factory=dict)


def _canonical(
    fp: Fingerprint, handle: int, candidates: Iterable[Candidate], threshold: float, report: float
) -> DedupDecision:
    """A redelivered canonical whose decision was not memoised (it listed no near duplicates,
    or the memo expired): recomputed from the candidates that were there, unchanged, when it
    was kept, so the answer is again no near duplicates, and never a copy of anything."""
    earlier = [c for c in candidates if c.handle < handle and c.rev < handle]
    outcome = decide(fp, earlier, threshold, report)
    if outcome.duplicate_of is not None:  # cannot happen: it was verified unique when added
        return DedupDecision()
    return DedupDecision(near_duplicates=outcome.near_duplicates)


class RedisDedupIndex:
    """The shared index: every worker asks the same Redis, atomically per article.

    Layout under ``RedisKeys.dedup(collection)`` = ``P``:

    - ``P:exact``   hash  sha128 -> handle of the canonical owning that exact text
    - ``P:entries`` hash  handle -> packed entry (id, fingerprint, figures; ~300 bytes)
    - ``P:seq``     string, the last handle given out
    - ``P:lsh:<n>`` hashes, ``shards`` of them: band key (7 bytes) -> handles (4 bytes each)
    - ``P:added``   sorted set handle -> added_at, only with a window, for expiry
    - ``P:memo:<yyyymmdd>`` hash record id -> decision of a near duplicate, or of a canonical
      that lists near duplicates (JSON); expires after 2 days

    Why it is race-free. Every change a decision can depend on takes a number from ``P:seq``:
    a new canonical gets it as its handle, a canonical that absorbs a copy gets it as its
    ``rev`` (``lua.RECORD_DUPLICATE`` grows its fingerprint; see ``verify.absorb``). One Lua
    script (``lua.CHECK_AND_ADD``) reads the exact owner and the band buckets and inserts the
    article as canonical *only if no entry in its buckets changed after* ``seen``, the number
    current when the caller fetched the candidates it verified. Redis runs a script alone, so
    this read and the insert are one atomic step. If another worker kept or grew a candidate
    meanwhile, the script inserts nothing and returns those entries; the caller verifies them
    and tries again (optimistic concurrency: each retry means another worker made progress,
    so it terminates). Two near duplicates processed at the same moment therefore never both
    become canonical: whichever script runs second finds the first one's handle in a shared
    bucket and the caller's verification makes it a duplicate. Every outcome is one a
    sequential run in some order would give, and the memory index, running the same code in
    one process, gives the same decisions for the same order (a test checks this).

    A near duplicate's decision is memoised (first decision wins) and the canonical absorbs
    it, in one atomic call of ``lua.RECORD_DUPLICATE``, once per record id.

    Round trips: 1 for an article with no candidates (the common case) and for an exact
    duplicate; 2 for a near duplicate (probe, record) or a canonical with candidates (probe,
    insert); +1 per concurrent conflict.
    """

    def __init__(
        self,
        client: redis.Redis[Any],
        keys: RedisKeys | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        report_threshold: float = DEFAULT_REPORT_THRESHOLD,
        window_days: float | None = None,
        shards: int = 1 << 16,
    ) -> None:
        connection: dict[str, Any] = dict(client.connection_pool.connection_kwargs)
        if connection.get("decode_responses"):  # entries are binary: use an undecoded pool
            connection["decode_responses"] = False
            kind = client.connection_pool.connection_class
            pool = redis.ConnectionPool(connection_class=kind, **connection)
            client = redis.Redis(connection_pool=pool)
        self.client = client
        self.keys = keys or RedisKeys()
        self.threshold = threshold
        self.report_threshold = report_threshold
        self.window_days = window_days
        self.shards = shards
        self._script = client.register_script(CHECK_AND_ADD)
        self._check_many = client.register_script(CHECK_AND_ADD_MANY)
        self._record_duplicate = client.register_script(RECORD_DUPLICATE)
        self.round_trips = 0

    def _shard(self, band_key: bytes) -> int:
        """SHA-1 of the band key picks its shard, as ``redis.sha1hex`` does in the scripts: the
        stored values are bin minimums, small numbers, so their own bytes spread badly."""
        return int(hashlib.sha1(band_key).hexdigest()[:8], 16) % self.shards

    def check_and_add(
        self,
        collection: str,
        record_id: str,
        content_sha256: str,
        fingerprint: Fingerprint | None = None,
        *,
        now: float | None = None,
    ) -> DedupDecision:
        call = self._call(collection, DedupItem(record_id, content_sha256, fingerprint), now)
        return self._settle(call, None)

    def check_and_add_many(
        self, collection: str, items: Sequence[DedupItem], *, now: float | None = None
    ) -> list[DedupDecision]:
        """One script call checks the items in order while each is simply kept (the common
        case: a batch of new articles is one round trip); the first item with candidates or
        an exact owner is settled as ``check_and_add`` would, then the rest go on.

        A call costs Redis in proportion to the items it carries, reached or not. After a call
        that stopped early, the next carries about twice as many as that one reached, so a
        batch where most articles have candidates (a large index of related stories) is not
        sent again in full after each of them.
        """
        calls = [self._call(collection, item, now) for item in items]
        decisions: list[DedupDecision] = []
        window = len(calls)
        while len(decisions) < len(calls):
            rest = calls[len(decisions) : len(decisions) + window]
            first = rest[0]
            keys, args = first.keys[:6], [first.now, first.cutoff, self.shards, first.lsh_prefix]
            for call in rest:
                keys += call.keys[6:]
                args += [call.sha, call.record_id, call.blob, len(call.bands), *call.bands]
            self.round_trips += 1
            replies: Sequence[Sequence[Any]] = self._check_many(keys=keys, args=args)
            for call, reply in zip(rest, replies, strict=False):
                decisions.append(self._settle(call, reply))
            window = max(MIN_WINDOW, 2 * len(replies))
        return decisions

    def _call(self, collection: str, item: DedupItem, now: float | None) -> _Call:
        prefix = self.keys.dedup(collection)
        now_s = int(time.time() if now is None else now)
        cutoff = now_s - int(self.window_days * DAY) if self.window_days is not None else -1
        fp = item.fingerprint or _empty_fingerprint()
        bands = fp.band_keys() if item.fingerprint is not None else []
        memo_today = f"{prefix}:memo:{time.strftime('%Y%m%d', time.gmtime(now_s))}"
        memo_before = f"{prefix}:memo:{time.strftime('%Y%m%d', time.gmtime(now_s - DAY))}"
        keys = [f"{prefix}:{name}" for name in ("exact", "entries", "seq", "added")]
        keys += [memo_today, memo_before]
        keys += [f"{prefix}:lsh:{self._shard(b)}" for b in bands]
        sha = _sha128(item.content_sha256)
        return _Call(
            prefix=prefix,
            record_id=item.record_id,
            fingerprint=fp,
            bands=bands,
            keys=keys,
            sha=sha,
            blob=encode_entry(item.record_id, sha, fp, now_s),
            now=now_s,
            cutoff=cutoff,
        )

    def _settle(self, call: _Call, reply: Sequence[Any] | None) -> DedupDecision:
        """Runs the optimistic loop from ``reply`` (None: from the start): verify the blocking
        candidates, try again with what was seen, until the article is decided."""
        verified: dict[int, Candidate] = {}
        seen = -1
        kept = DedupDecision()
        fp, record_id = call.fingerprint, call.record_id
        while True:
            if reply is None:
                self.round_trips += 1
                memo = _memo_encode(kept) if kept.near_duplicates else ""
                reply = self._script(
                    keys=call.keys,
                    args=[
                        call.sha,
                        record_id,
                        call.blob,
                        call.now,
                        call.cutoff,
                        seen,
                        self.shards,
                        call.lsh_prefix,
                        memo,
                        *call.bands,
                    ],
                )
            status = int(reply[0])
            if status == 0:  # kept as canonical
                return kept
            if status == 1:  # decided before: a redelivery
                return _memo_decode(reply[1])
            seen = int(reply[1])
            owner_handle = int(reply[2])
            for i in range(4, len(reply), 2):
                verified[int(reply[i])] = decode_entry(int(reply[i]), reply[i + 1])
            if owner_handle:
                owner = decode_entry(owner_handle, reply[3])
                if owner.record_id != record_id:
                    return DedupDecision(duplicate_of=owner.record_id, similarity=1.0)
                return _canonical(fp, owner_handle, verified.values(), self.threshold, self.report_threshold)
            outcome = decide(fp, verified.values(), self.threshold, self.report_threshold)
            if outcome.duplicate_of is not None:
                decision = DedupDecision(outcome.duplicate_of.record_id, outcome.similarity)
                handle, memo_key = outcome.duplicate_of.handle, call.keys[4]
                return self._remember(call.prefix, memo_key, record_id, decision, canonical=handle, copy=fp)
            kept = DedupDecision(near_duplicates=outcome.near_duplicates)
            reply = None

    def _remember(
        self,
        prefix: str,
        memo_key: str,
        record_id: str,
        decision: DedupDecision,
        *,
        canonical: int,
        copy: Fingerprint,
    ) -> DedupDecision:
        """Makes the first near-duplicate decision for a record id the one every redelivery gets,
        and merges the copy's figures into its canonical's (atomically, once)."""
        self.round_trips += 1
        stored = self._record_duplicate(
            keys=[memo_key, f"{prefix}:entries", f"{prefix}:seq"],
            args=[
                record_id,
                _memo_encode(decision),
                canonical,
                _pack_figures(copy.numbers),
                MEMO_TTL,
                MAX_NUMBERS,
                copy.signature.astype("<u2").tobytes(),
                copy.size,
                self.shards,
                f"{prefix}:lsh:",
            ],
        )
        return _memo_decode(stored)


@dataclass(frozen=True)
class _Call:
    """One article's keys and arguments for the scripts, computed once per check."""

    prefix: str
    record_id: str
    fingerprint: Fingerprint
    bands: list[bytes]
    keys: list[str]
    sha: bytes
    blob: bytes
    now: int
    cutoff: int

    @property
    def lsh_prefix(self) -> str:
        return f"{self.prefix}:lsh:"


def _memo_encode(decision: DedupDecision) -> str:
    return json.dumps([decision.duplicate_of, decision.similarity, decision.near_duplicates])


def _memo_decode(raw: bytes | str) -> DedupDecision:
    duplicate_of, similarity, near = json.loads(raw)
    return DedupDecision(duplicate_of, similarity, [(str(rid), float(sim)) for rid, sim in near])


__all__ = [
    "NUM_BANDS",
    "DedupDecision",
    "DedupIndex",
    "DedupItem",
    "MemoryDedupIndex",
    "RedisDedupIndex",
    "decode_entry",
    "encode_entry",
]
