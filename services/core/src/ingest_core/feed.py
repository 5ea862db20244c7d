"""The feed survives Redis: it is rebuilt from the bucket, with the cursors consumers hold.

The feed of a collection is a Redis stream (``RedisKeys.feed``) of ``id`` (record ULID) and
``key`` entries; its stream ids are the cursors of ``GET /v1/records``. Every record is also in
the bucket under ``records/v1/{collection}/{yyyy}/{mm}/{dd}/{ulid}.json``, in key order = ULID
order. If Redis loses the stream, this module puts it back.

What a consumer needs: resuming with its last cursor ``c``, it must get exactly the records it
has not seen, each once. It has seen exactly the records whose id is ``<= c`` in the stream it
read. So the rebuilt stream must give every record the *same id it had*, and the same order.

Why ids cannot simply be recomputed from the ULIDs: workers finish out of ULID order (a record
id is reserved when its document is claimed; a batch claimed first may finish last, and a
redelivery finishes minutes later). The feed is in arrival order on purpose, so a consumer
never skips a late record; arrival order is not written anywhere in the bucket.

How ids are chosen and kept (the Lua ``_FINISH`` in ``jobs.py``):

1. A record's id is ``ulid_ms-0`` when its ULID millisecond is past the feed's head (the last id
   ever handed out), else ``head_ms-(head_seq+1)``: ``max(head, ulid_ms)`` advanced by one. Ids
   are strictly increasing whatever the arrival order, and close to the record's own time.
2. The head lives in its own key, so ids keep increasing after the stream is lost, and its
   presence says "this collection had a feed" (cheap loss detection: ``EXISTS``, no listing).
3. The record's feed marker, already the guard that adds a record once, holds the id it was
   given. A rebuild reads it back: the exact cursor, whatever the arrival order was.
4. Appending to a missing stream sets the feed's check flag: readers rebuild (or, for a new
   collection, verify against the bucket) before serving, so nobody reads a partial stream.

The rebuild (``rebuild_feed``; automatic in ``ensure_feed``, by hand with
``python -m ingest_worker.feed rebuild COLLECTION``) lists the collection's records in key
order and gives each the id in its marker. A record without one (its worker wrote it but has
not finished yet, or Redis lost everything) is given an id by ``_ASSIGN`` exactly as a worker
would (rule 1, atomically with the head, marker set so the worker then skips it). Entries a
worker appended to the live stream while the rebuild ran are merged; the new stream is written
under a temporary key and swapped in by ``_SWAP``, which also carries over anything appended
after the merge (all such ids are past the head the merge saw, so past every merged id).

Limits, stated plainly:

- Stream lost, rest of Redis intact (eviction, a ``DEL``, a restore of an older snapshot of one
  key): exact. Same ids, same order; a resumed cursor misses nothing and repeats nothing.
- All of Redis lost (markers too): ids come from ULIDs alone, in ULID order. Records that had
  arrived in ULID order get their old ids back (``ulid_ms-0``, ``-1``… within a millisecond).
  A record that had arrived *late* (after one with a later ULID) gets its ULID place instead of
  its arrival place, so a consumer whose cursor lies between the two may miss it; reading the
  bucket with ``StartAfter=`` (the storage contract) has the same limit. Persistence (AOF)
  is what makes this case rare; see the CHANGELOG.
- Feeds written before this change hold ``1`` in their markers and ``*`` (clock) ids: their
  records get new ids on the first rebuild, after the head.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import redis

from ingest_core.errors import ServiceUnavailable
from ingest_core.ids import new_id, ulid_ms
from ingest_core.jobs import FEED_NEXT_ID, JobStore
from ingest_core.keys import record_id_from_key, record_prefix
from ingest_core.storage import ObjectStore

_CHUNK = 500
EMPTY_CHECK_SECONDS = 10  # a collection without feed nor records is looked up at most this often
LOCK_SECONDS = 600

# Gives ids to records that have none yet, as a worker would, and sets their markers.
# KEYS: head, stream, then one marker per record.  ARGV: floor id ('' none), then each record's
# ULID ms. The head is first raised to the floor (the largest id in any marker). A marker that
# already holds an id (a worker was first) keeps it. Returns the ids, in order.
_ASSIGN = (
    FEED_NEXT_ID
    + """
local floor = feed_parse(ARGV[1])
if floor then
  local head = feed_parse(redis.call('GET', KEYS[1]))
  if not head or feed_after(floor, head) then redis.call('SET', KEYS[1], ARGV[1]) end
end
local out = {}
for i = 3, #KEYS do
  local current = redis.call('GET', KEYS[i])
  if feed_parse(current) then
    table.insert(out, current)
  else
    local fid = feed_next_id(KEYS[1], KEYS[2], tonumber(ARGV[i - 1]) or 0)
    redis.call('SET', KEYS[i], fid)
    table.insert(out, fid)
  end
end
return out
"""
)

# Swaps the rebuilt stream in, keeping what workers appended after the merge read the stream.
# KEYS: stream, rebuilt (temporary), check flag, lock, head.  ARGV: lock token, last id the merge
# read from the live stream ('' none). Returns the number of entries carried over, or -1 when
# the lock was lost (nothing changed).
_SWAP = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
  redis.call('DEL', KEYS[2])
  return -1
end
local tail = {}
if redis.call('EXISTS', KEYS[1]) == 1 then
  local from = '-'
  if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
  tail = redis.call('XRANGE', KEYS[1], from, '+')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
for _, entry in ipairs(tail) do
  redis.call('XADD', KEYS[1], entry[1], unpack(entry[2]))
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[5]) end
redis.call('DEL', KEYS[3], KEYS[4])
return #tail
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class FeedBusy(ServiceUnavailable):
    """Another process is rebuilding this feed; try again shortly."""

    code = "feed_rebuilding"


@dataclass(frozen=True)
class RebuildReport:
    collection: str
    records: int  # records in the rebuilt feed
    kept_ids: int  # whose id came from their marker (the exact cursor)
    new_ids: int  # given an id now (never fed, or Redis lost their marker)
    carried_over: int  # appended by workers while the rebuild ran
    seconds: float


def parse_stream_id(value: str) -> tuple[int, int] | None:
    """``"ms-seq"`` → (ms, seq); None for anything else (a legacy marker holds ``1``)."""
    ms, dash, seq = value.partition("-")
    if not dash or not ms.isdigit() or not seq.isdigit():
        return None
    return int(ms), int(seq)


def format_stream_id(value: tuple[int, int]) -> str:
    return f"{value[0]}-{value[1]}"


def order_entries(entries: dict[str, tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(stream id, record id, key) sorted by stream id; refuses two records on one id."""
    rows = sorted(
        ((cast(tuple[int, int], parse_stream_id(sid)), rid, key) for rid, (sid, key) in entries.items()),
        key=lambda row: row[0],
    )
    for before, after in itertools.pairwise(rows):
        if before[0] == after[0]:
            raise RuntimeError(f"feed id {format_stream_id(after[0])} given to {before[1]} and {after[1]}")
    return [(format_stream_id(sid), rid, key) for sid, rid, key in rows]


def rebuild_feed(jobs: JobStore, store: ObjectStore, collection: str) -> RebuildReport:
    """Rebuilds ``collection``'s feed (internal name) from the bucket; see the module docstring.

    Safe while workers write and readers read; one rebuild per collection at a time (FeedBusy).
    """
    started = time.monotonic()
    client, keys = jobs.redis, jobs.keys
    lock, token = keys.feed_rebuild_lock(collection), new_id()
    if not client.set(lock, token, nx=True, ex=LOCK_SECONDS):
        raise FeedBusy(f"the feed of {collection} is being rebuilt", retry_after=2)
    try:
        stored = [(record_id_from_key(key), key) for key in store.iter_keys(record_prefix(collection))]
        entries: dict[str, tuple[str, str]] = {}
        missing: list[tuple[str, str]] = []
        for start in range(0, len(stored), _CHUNK):
            chunk = stored[start : start + _CHUNK]
            markers = client.mget([keys.feed_marker(rid) for rid, _ in chunk])
            for (rid, key), marker in zip(chunk, markers, strict=True):
                sid = marker.decode() if marker else ""
                if parse_stream_id(sid):
                    entries[rid] = (sid, key)
                else:
                    missing.append((rid, key))
        kept = len(entries)
        ids = [cast(tuple[int, int], parse_stream_id(sid)) for sid, _ in entries.values()]
        floor = format_stream_id(max(ids)) if ids else ""
        assign = client.register_script(_ASSIGN)
        for start in range(0, max(len(missing), 1), _CHUNK):  # once at least: raises the head
            chunk = missing[start : start + _CHUNK]
            given = assign(
                keys=[
                    keys.feed_head(collection),
                    keys.feed(collection),
                    *[keys.feed_marker(rid) for rid, _ in chunk],
                ],
                args=[floor, *[ulid_ms(rid) for rid, _ in chunk]],
            )
            for (rid, key), given_id in zip(chunk, given, strict=True):
                entries[rid] = (given_id.decode() if isinstance(given_id, bytes) else str(given_id), key)
        live = cast(
            list[tuple[bytes, dict[bytes, bytes]]], client.xrange(keys.feed(collection), min="-", max="+")
        )
        for live_id, fields in live:
            entries.setdefault(fields[b"id"].decode(), (live_id.decode(), fields[b"key"].decode()))
        last_read = live[-1][0].decode() if live else ""
        rows = order_entries(entries)
        temp = f"{keys.feed(collection)}:rebuilding:{token}"
        client.delete(temp)
        for start in range(0, len(rows), _CHUNK):
            pipe = client.pipeline(transaction=False)
            for sid, rid, key in rows[start : start + _CHUNK]:
                pipe.xadd(temp, {"id": rid, "key": key}, id=sid)
            pipe.execute()
        carried = int(
            client.register_script(_SWAP)(
                keys=[
                    keys.feed(collection),
                    temp,
                    keys.feed_check(collection),
                    lock,
                    keys.feed_head(collection),
                ],
                args=[token, last_read],
            )
        )
        if carried < 0:
            raise FeedBusy(f"the rebuild of {collection}'s feed lost its lock; run it again", retry_after=2)
        return RebuildReport(
            collection=collection,
            records=len(rows) + carried,
            kept_ids=kept,
            new_ids=len(missing),
            carried_over=carried,
            seconds=time.monotonic() - started,
        )
    finally:
        client.register_script(_RELEASE)(keys=[lock], args=[token])


def feed_needs_rebuild(jobs: JobStore, store: ObjectStore, collection: str) -> bool:
    """Cheap: three EXISTS in one round trip; the bucket is listed (one key) only when the
    collection has neither stream nor head, at most every ``EMPTY_CHECK_SECONDS``."""
    keys = jobs.keys
    pipe = jobs.redis.pipeline(transaction=False)
    for name in (keys.feed(collection), keys.feed_head(collection), keys.feed_check(collection)):
        pipe.exists(name)
    pipe.exists(keys.feed_empty(collection))
    stream, head, check, known_empty = (bool(v) for v in pipe.execute())
    if check:
        return True
    if stream:
        return False
    if head:
        return True  # it had a feed, and the stream is gone
    if known_empty:
        return False
    if store.list_after(record_prefix(collection), limit=1):
        return True  # records but no trace of a feed: Redis lost everything
    jobs.redis.set(keys.feed_empty(collection), "1", ex=EMPTY_CHECK_SECONDS)
    return False


def ensure_feed(
    jobs: JobStore, store: ObjectStore, collection: str, *, wait_seconds: float = 10.0
) -> RebuildReport | None:
    """Rebuilds the feed first when it was lost; waits for a rebuild another process runs.

    Returns the report of a rebuild done here, else None. Raises FeedBusy when another
    process is still rebuilding after ``wait_seconds``.
    """
    deadline = time.monotonic() + wait_seconds
    while feed_needs_rebuild(jobs, store, collection):
        try:
            return rebuild_feed(jobs, store, collection)
        except FeedBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
    return None


def stream_ids(client: redis.Redis[bytes], stream: str) -> Sequence[tuple[str, str]]:
    """(stream id, record id) of every entry: for tests and the command's report."""
    rows = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(stream, min="-", max="+"))
    return [(sid.decode(), fields[b"id"].decode()) for sid, fields in rows]
