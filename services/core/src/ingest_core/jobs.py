"""Job store in Redis: atomic, forward-only state changes.

Every change to a document goes through one Lua script that moves its state forward (never
back), adjusts the job's counts in the same step and derives the job's status. So counts add
up to the number of documents even when a task is delivered twice or two workers race.

The same step appends a stored record to its collection's feed (a Redis stream) once, with an
id chosen so the feed can be rebuilt from the bucket with the ids consumers already hold as
cursors (see ``ingest_core.feed`` for the whole argument):

- the id is ``max(head, (ulid_ms, 0))`` advanced by one: ``ulid_ms-0`` when the record's ULID
  millisecond is past the feed's head (the last id ever handed out), else ``head_ms-(seq+1)``.
  Workers finish out of ULID order (a batch claimed earlier can finish later), so an id derived
  from the ULID alone would sometimes not be past the head and XADD would refuse it (or, with
  ``*``, its place would depend on the clock); taking the max keeps ids strictly increasing,
  so a consumer's cursor never skips a late record;
- the head lives in its own key (``RedisKeys.feed_head``), so ids keep increasing even when the
  stream itself is lost, and its presence tells a lost stream from a collection never fed;
- the record's feed marker (already the "added once" guard) now holds the id it was given
  instead of ``1``: a rebuild reads the exact id back, so rebuilt cursors are the same cursors;
- appending to a missing stream while the head exists, or for the first time, sets the feed's
  check flag (``RedisKeys.feed_check``): readers rebuild or verify before serving from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack, cast

import redis

from ingest_core.ids import new_id, ulid_ms
from ingest_core.keys import DEFAULT_TENANT, RedisKeys, job_summary_key
from ingest_core.schema import (
    TERMINAL_JOB_STATUSES,
    DocStatus,
    DocumentView,
    JobCounts,
    JobStatus,
    JobView,
)
from ingest_core.storage import ObjectStore

_STATE_FIELDS = ("queued", "processing", "stored", "duplicate", "rejected", "failed")
CHANGES_CHANNEL = "jobs:changed"  # under the key prefix; the message is the job id

# The job's status from its counts, shared by every script that moves documents.
# Needs: job (key), ARGV-free locals; sets `newj`, `finished`.
_DERIVE_JOB_STATUS = """
local function derive(job, now)
  local j = redis.call('HMGET', job, 'status', 'total', 'stored', 'duplicate', 'rejected', 'failed')
  local jstatus = j[1]
  local total = tonumber(j[2])
  local good = tonumber(j[3] or 0) + tonumber(j[4] or 0)
  local bad = tonumber(j[5] or 0) + tonumber(j[6] or 0)
  local was_final = (jstatus == 'succeeded' or jstatus == 'partially_failed'
                     or jstatus == 'failed' or jstatus == 'cancelled')
  local newj = jstatus
  local finished = 0
  if jstatus ~= 'cancelled' and not was_final then
    if good + bad == total then
      if bad == 0 then newj = 'succeeded' elseif good == 0 then newj = 'failed'
      else newj = 'partially_failed' end
      finished = 1
    elseif jstatus == 'queued' then
      newj = 'running'
    end
  end
  if jstatus == 'cancelled' and good + bad == total then finished = 1 end
  redis.call('HSET', job, 'status', newj, 'updated_at', now)
  redis.call('HINCRBY', job, 'version', 1)
  return newj, finished
end
"""

# Claims a batch (or, without a batch key, single documents): each queued or processing
# document counts an attempt and reserves its record id once, so a redelivery writes to the
# same keys. KEYS: batch (or ''), due, job, channel-less; then one doc key per document.
# ARGV: now, lease deadline, batch id, job id, channel, then one candidate record id per doc.
# Returns nil when the batch is finished already, else {verdict, attempts, record id} per doc.
_CLAIM = """
local batch = KEYS[1]
if batch ~= '' then
  if redis.call('EXISTS', batch) == 0 then return nil end
  redis.call('HSET', batch, 'state', 'claimed')
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
local out = {}
local started = 0
for i = 4, #KEYS do
  local dk = KEYS[i]
  local cur = redis.call('HGET', dk, 'status')
  if not cur then
    table.insert(out, 'missing'); table.insert(out, 0); table.insert(out, '')
  elseif cur ~= 'queued' and cur ~= 'processing' then
    table.insert(out, 'skip'); table.insert(out, 0); table.insert(out, '')
  else
    local attempts = redis.call('HINCRBY', dk, 'attempts', 1)
    redis.call('HSETNX', dk, 'record_id_reserved', ARGV[2 + i])
    local rid = redis.call('HGET', dk, 'record_id_reserved')
    if cur == 'queued' then
      redis.call('HSET', dk, 'status', 'processing')
      started = started + 1
    end
    table.insert(out, 'go'); table.insert(out, attempts); table.insert(out, rid)
  end
end
if started > 0 then
  local job = KEYS[3]
  redis.call('HINCRBY', job, 'queued', -started)
  redis.call('HINCRBY', job, 'processing', started)
  if redis.call('HGET', job, 'status') == 'queued' then redis.call('HSET', job, 'status', 'running') end
  redis.call('HSET', job, 'updated_at', ARGV[1])
  redis.call('HINCRBY', job, 'version', 1)
  redis.call('PUBLISH', ARGV[5], ARGV[4])
end
return out
"""

# The next feed id: strictly after the head and the stream's last entry (the head may be gone,
# or the stream older than the head: a feed written before ids were chosen here), and no earlier
# than the record's ULID millisecond. Lua numbers are doubles: exact below 2^53 (%.0f prints them).
FEED_NEXT_ID = """
local function feed_parse(value)
  if not value then return nil end
  local ms, seq = string.match(value, '^(%d+)-(%d+)$')
  if not ms then return nil end
  return {tonumber(ms), tonumber(seq)}
end
local function feed_after(a, b)
  return a[1] > b[1] or (a[1] == b[1] and a[2] > b[2])
end
local function feed_next_id(head_key, stream_key, ms)
  local top = feed_parse(redis.call('GET', head_key))
  local last = redis.call('XREVRANGE', stream_key, '+', '-', 'COUNT', 1)
  if last[1] then
    local l = feed_parse(last[1][1])
    if l and (not top or feed_after(l, top)) then top = l end
  end
  local id_ms, id_seq = ms, 0
  if top and top[1] >= ms then id_ms = top[1]; id_seq = top[2] + 1 end
  if id_ms == 0 and id_seq == 0 then id_seq = 1 end
  local id = string.format('%.0f-%.0f', id_ms, id_seq)
  redis.call('SET', head_key, id)
  return id
end
"""

# Moves documents forward (never back), adjusts the job's counts, appends stored records to
# the feed exactly once, derives the job's status, queues its summary when it finished, and
# releases or renews the batch: all in one step, once per flush of a batch.
# KEYS: job, due, batch (or ''), summaries due, feed, feed head, feed check flag, job events;
#   then per document: doc, feed marker, record location.
# ARGV: now, job id, batch id, lease deadline ('' keeps it), done (1/0), summary due at,
#   channel, required current status ('' = any), then per document: status, record id,
#   record key, duplicate_of, similarity, error, the record id's ULID milliseconds.
# A job that finishes is also appended to the job events stream (``job.finished`` webhooks).
# Returns {documents moved, job status, job finished now (1/0)}.
_FINISH = (
    _DERIVE_JOB_STATUS
    + FEED_NEXT_ID
    + """
local JOB_EVENTS_MAXLEN = 100000
local rank = {queued=0, processing=1, stored=2, duplicate=2, rejected=2, failed=2}
local job = KEYS[1]
local n = (#KEYS - 8) / 3
local moved = 0
for i = 0, n - 1 do
  local dk = KEYS[9 + i * 3]
  local a = 9 + i * 7
  local new = ARGV[a]
  local cur = redis.call('HGET', dk, 'status')
  if cur and rank[new] > rank[cur] and (ARGV[8] == '' or ARGV[8] == cur) then
    redis.call('HSET', dk, 'status', new)
    local names = {'record_id', 'duplicate_of', 'similarity', 'error'}
    local values = {ARGV[a + 1], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]}
    for j = 1, 4 do
      if values[j] == '' then redis.call('HDEL', dk, names[j])
      else redis.call('HSET', dk, names[j], values[j]) end
    end
    redis.call('HINCRBY', job, cur, -1)
    redis.call('HINCRBY', job, new, 1)
    if new == 'stored' then
      local marker = KEYS[10 + i * 3]
      if redis.call('EXISTS', marker) == 0 then
        if redis.call('EXISTS', KEYS[5]) == 0 then redis.call('SET', KEYS[7], '1') end
        local fid = feed_next_id(KEYS[6], KEYS[5], tonumber(ARGV[a + 6]) or 0)
        redis.call('SET', marker, fid)
        redis.call('XADD', KEYS[5], fid, 'id', ARGV[a + 1], 'key', ARGV[a + 2])
      end
      redis.call('SET', KEYS[11 + i * 3], ARGV[a + 2])
    end
    moved = moved + 1
  end
end
local jstatus = redis.call('HGET', job, 'status') or ''
local finished = 0
if moved > 0 and jstatus ~= '' then
  jstatus, finished = derive(job, ARGV[1])
  if finished == 1 then
    redis.call('ZADD', KEYS[4], ARGV[6], ARGV[2])
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', JOB_EVENTS_MAXLEN, '*', 'job', ARGV[2])
  end
  redis.call('PUBLISH', ARGV[7], ARGV[2])
end
if KEYS[3] ~= '' then
  if ARGV[5] == '1' then
    redis.call('DEL', KEYS[3])
    redis.call('ZREM', KEYS[2], ARGV[3])
  elseif ARGV[4] ~= '' then
    redis.call('ZADD', KEYS[2], 'XX', ARGV[4], ARGV[3])
  end
end
return {moved, jstatus, finished}
"""
)

# Marks batches sent, unless a worker claimed them meanwhile (its lease must stand).
# KEYS: due, then batch keys.  ARGV: deadline, then batch ids.
_MARK_SENT = """
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') == 'pending' then
    redis.call('HSET', KEYS[i], 'state', 'sent')
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
  end
end
return 1
"""

# A watchdog takes due job summaries and holds them (pushes their due time on) while it writes.
# KEYS: summaries due.  ARGV: now, hold until, most ids.  Returns the job ids taken.
_TAKE_SUMMARIES = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id) end
return ids
"""

# The watchdog takes an overdue batch to send it again; of several watchdogs, one wins.
# KEYS: due, batch.  ARGV: cutoff, new deadline, batch id, required state ('' = any).
# Returns the message, or nil.
_REDISPATCH = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not score or tonumber(score) > tonumber(ARGV[1]) then return nil end
local message = redis.call('HGET', KEYS[2], 'message')
if not message then
  redis.call('ZREM', KEYS[1], ARGV[3])
  return nil
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[2], 'state') ~= ARGV[4] then return nil end
redis.call('HSET', KEYS[2], 'state', 'sent')
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return message
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class NewDocument:
    """A document as the API registers it, before any worker has seen it."""

    filename: str | None
    doc_id: str = field(default_factory=new_id)
    rejected_reason: str | None = None  # refused at upload (too large, corrupt archive…)


@dataclass(frozen=True)
class Transition:
    moved: bool
    job_status: str
    job_finished: bool


@dataclass(frozen=True)
class StartVerdict:
    go: bool
    attempts: int
    record_id: str


@dataclass(frozen=True)
class DocOutcome:
    """A document's final state as a worker decided it."""

    doc_id: str
    status: DocStatus
    record_id: str | None = None
    record_key: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    error: str | None = None


class JobPage(TypedDict, total=False):
    """Which of a job's documents a read returns: none, all (no ``limit``), or one page."""

    with_documents: bool
    limit: int | None
    cursor: str | None
    status: DocStatus | None


@dataclass(frozen=True)
class DocumentPage:
    documents: list[DocumentView]
    next_cursor: str | None


@dataclass(frozen=True)
class _PageWindow:
    """Which slice of a job's document list one page reads: from ``position``, ``scan`` ids
    (all when None; a filtered page reads up to eight pages' worth), to keep ``limit``."""

    position: int
    limit: int | None
    status: DocStatus | None
    scan: int | None

    @classmethod
    def of(cls, cursor: str | None, limit: int | None, status: DocStatus | None) -> _PageWindow:
        scan = None if limit is None else (limit if status is None else limit * 8)
        return cls(int(cursor) if cursor else 0, limit, status, scan)

    @property
    def stop(self) -> int:
        """LRANGE's inclusive end."""
        return -1 if self.scan is None else self.position + self.scan - 1


class JobStore:
    """All job and document state. Safe to share between threads (redis-py pools)."""

    def __init__(self, client: redis.Redis[bytes], keys: RedisKeys | None = None) -> None:
        self.redis = client
        self.keys = keys or RedisKeys()
        self.channel = f"{self.keys.prefix}:{CHANGES_CHANNEL}"
        self._claim = client.register_script(_CLAIM)
        self._finish = client.register_script(_FINISH)
        self._mark_sent = client.register_script(_MARK_SENT)
        self._redispatch = client.register_script(_REDISPATCH)
        self._take_summaries = client.register_script(_TAKE_SUMMARIES)

    # --- creation ------------------------------------------------------------------------

    def create_job(
        self,
        collection: str,
        documents: list[NewDocument],
        *,
        job_id: str | None = None,
        batches: Sequence[tuple[str, str]] = (),
        dispatch_by: float | None = None,
        callback: tuple[str, str] | None = None,
    ) -> str:
        """Registers the job, its documents and its batches (the outbox) in one transaction.

        ``callback`` (url, signing secret): where its ``job.finished`` webhook goes, too.

        ``batches`` are (batch id, message JSON); until a sender marks them sent, the watchdog
        sends any still pending at ``dispatch_by`` (epoch seconds), so a crash between this
        and the send loses nothing.
        """
        view = self.register_job(
            collection,
            documents,
            job_id=job_id,
            batches=batches,
            dispatch_by=dispatch_by,
            callback=callback,
            limit=0,
        )
        return view.id

    def register_job(
        self,
        collection: str,
        documents: list[NewDocument],
        *,
        limit: int | None,
        job_id: str | None = None,
        batches: Sequence[tuple[str, str]] = (),
        dispatch_by: float | None = None,
        callback: tuple[str, str] | None = None,
    ) -> JobView:
        """``create_job``, answering the job as registered (``get_job`` with ``limit`` would read
        the same back) without reading it back."""
        job_id = job_id or new_id()
        now = _now()
        pipe = self.redis.pipeline(transaction=True)
        job_fields: dict[str | bytes, bytes | float | int | str] = {
            "id": job_id,
            "status": JobStatus.queued.value,
            "collection": collection,
            "created_at": now,
            "updated_at": now,
            "total": len(documents),
            "version": 0,
            **{name: 0 for name in _STATE_FIELDS},
        }
        if callback is not None:
            job_fields["callback_url"], job_fields["callback_secret"] = callback
        rejected = sum(1 for d in documents if d.rejected_reason)
        job_fields["queued"] = len(documents) - rejected
        job_fields["rejected"] = rejected
        finished_now = rejected == len(documents)
        if finished_now:
            job_fields["status"] = JobStatus.failed.value if documents else JobStatus.succeeded.value
        pipe.hset(self.keys.job(job_id), mapping=job_fields)
        pipe.zadd(self.keys.jobs_index(), {job_id: datetime.fromisoformat(now).timestamp()})
        if documents:
            pipe.rpush(self.keys.job_docs(job_id), *[d.doc_id for d in documents])
        for doc in documents:
            fields: dict[str | bytes, bytes | float | int | str] = {
                "id": doc.doc_id,
                "filename": doc.filename or "",
                "status": DocStatus.queued.value,
                "attempts": 0,
            }
            if doc.rejected_reason:
                fields["status"] = DocStatus.rejected.value
                fields["error"] = doc.rejected_reason
            pipe.hset(self.keys.doc(doc.doc_id), mapping=fields)
        due = dispatch_by if dispatch_by is not None else time.time()
        for batch_id, message in batches:
            pipe.hset(
                self.keys.batch(batch_id), mapping={"message": message, "state": "pending", "job": job_id}
            )
        if batches:
            pipe.zadd(self.keys.batches_due(), {batch_id: due for batch_id, _ in batches})
        if finished_now:
            pipe.zadd(self.keys.summaries_due(), {job_id: time.time()})
            pipe.xadd(self.keys.job_events(), {"job": job_id}, maxlen=100_000, approximate=True)
        pipe.execute()
        shown = documents if limit is None else documents[:limit]
        return JobView(
            id=job_id,
            status=JobStatus(str(job_fields["status"])),
            collection=collection,
            created_at=datetime.fromisoformat(now),
            updated_at=datetime.fromisoformat(now),
            counts=JobCounts(total=len(documents), queued=len(documents) - rejected, rejected=rejected),
            documents=[
                DocumentView(
                    id=doc.doc_id,
                    filename=doc.filename or None,
                    status=DocStatus.rejected if doc.rejected_reason else DocStatus.queued,
                    error=doc.rejected_reason or None,
                )
                for doc in shown
            ],
            next_cursor=str(limit) if limit is not None and len(documents) > limit else None,
        )

    def mark_sent(self, batch_ids: Sequence[str], deadline: float) -> None:
        """The messages are in the broker: the watchdog waits ``deadline`` before resending."""
        if batch_ids:
            keys = [self.keys.batches_due(), *[self.keys.batch(b) for b in batch_ids]]
            self._mark_sent(keys=keys, args=[deadline, *batch_ids])

    def claim_idempotency_key(
        self, key: str, fingerprint: str, job_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> str | None:
        """Returns None when the key is new, else the job id it already names.

        Keys are the tenant's own: another tenant's key of the same name is another key.
        Raises ValueError when the key was used with a different request body.
        """
        value = f"{fingerprint}:{job_id}"
        if self.redis.set(self.keys.idempotency(key, tenant), value, nx=True, ex=7 * 86400):
            return None
        existing = self.redis.get(self.keys.idempotency(key, tenant))
        if existing is None:  # expired in between: treat as new
            return None
        old_fingerprint, _, old_job = existing.decode().rpartition(":")
        if old_fingerprint != fingerprint:
            raise ValueError("Idempotency-Key was used with a different request")
        return old_job

    def release_idempotency_key(self, key: str, *, tenant: str = DEFAULT_TENANT) -> None:
        self.redis.delete(self.keys.idempotency(key, tenant))

    # --- worker side ---------------------------------------------------------------------

    def claim(
        self,
        job_id: str,
        doc_ids: Sequence[str],
        candidate_record_ids: Sequence[str],
        *,
        batch_id: str | None = None,
        lease_until: float = 0.0,
    ) -> list[StartVerdict] | None:
        """Marks documents processing, counts an attempt each and reserves their record ids.

        With a batch, also takes its lease; None means the batch was finished already.
        """
        keys = [
            self.keys.batch(batch_id) if batch_id else "",
            self.keys.batches_due(),
            self.keys.job(job_id),
            *[self.keys.doc(d) for d in doc_ids],
        ]
        args = [_now(), lease_until, batch_id or "", job_id, self.channel, *candidate_record_ids]
        res = self._claim(keys=keys, args=args)
        if res is None:
            return None
        return [
            StartVerdict(go=_text(res[i]) == "go", attempts=int(res[i + 1]), record_id=_text(res[i + 2]))
            for i in range(0, len(res), 3)
        ]

    def start(self, job_id: str, doc_id: str, candidate_record_id: str) -> StartVerdict:
        """One document's claim, outside any batch."""
        verdicts = self.claim(job_id, [doc_id], [candidate_record_id])
        assert verdicts is not None
        return verdicts[0]

    def finish_many(
        self,
        job_id: str,
        collection: str,
        outcomes: Sequence[DocOutcome],
        *,
        batch_id: str | None = None,
        batch_done: bool = False,
        lease_until: float | None = None,
        only_from: DocStatus | None = None,
    ) -> Transition:
        """Records outcomes (forward only), feed entries and the batch's lease, in one step."""
        keys = [
            self.keys.job(job_id),
            self.keys.batches_due(),
            self.keys.batch(batch_id) if batch_id else "",
            self.keys.summaries_due(),
            self.keys.feed(collection),
            self.keys.feed_head(collection),
            self.keys.feed_check(collection),
            self.keys.job_events(),
        ]
        args: list[str | float] = [
            _now(),
            job_id,
            batch_id or "",
            "" if lease_until is None else lease_until,
            "1" if batch_done else "0",
            time.time(),
            self.channel,
            only_from.value if only_from else "",
        ]
        for out in outcomes:
            rid = out.record_id or ""
            keys += [self.keys.doc(out.doc_id), self.keys.feed_marker(rid), self.keys.record_location(rid)]
            args += [
                out.status.value,
                rid,
                out.record_key or "",
                out.duplicate_of or "",
                "" if out.similarity is None else repr(float(out.similarity)),
                (out.error or "")[:2000],
                _feed_ms(rid),
            ]
        res = self._finish(keys=keys, args=args)
        return Transition(moved=int(res[0]) > 0, job_status=_text(res[1]), job_finished=int(res[2]) == 1)

    def finish(
        self,
        job_id: str,
        doc_id: str,
        status: DocStatus,
        *,
        collection: str = "",
        record_id: str | None = None,
        record_key: str | None = None,
        duplicate_of: str | None = None,
        similarity: float | None = None,
        error: str | None = None,
    ) -> Transition:
        """One document's outcome, outside any batch."""
        outcome = DocOutcome(doc_id, status, record_id, record_key, duplicate_of, similarity, error)
        return self.finish_many(job_id, collection, [outcome])

    def note_error(self, doc_ids: Sequence[str], error: str) -> None:
        """Keeps the last transient error, for the message of a document that gives up."""
        pipe = self.redis.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.hset(self.keys.doc(doc_id), "last_error", error[:2000])
        pipe.execute()

    def last_error(self, doc_id: str) -> str | None:
        value = self.redis.hget(self.keys.doc(doc_id), "last_error")
        return value.decode() if value else None

    def reschedule(self, batch_id: str, at: float) -> None:
        """Asks the watchdog to send the batch again at ``at`` (a back-off after an outage)."""
        self.redis.zadd(self.keys.batches_due(), {batch_id: at}, xx=True)

    def park(self, batch_id: str, reason: str) -> None:
        """Takes a batch whose message cannot be read out of the resend schedule, keeping it.

        Sending it again would fail the same way every sweep; parked, it stays in Redis with its
        reason (state ``parked``, listed under ``batches_parked``) for an operator to repair.
        """
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self.keys.batches_due(), batch_id)
        pipe.hset(self.keys.batch(batch_id), mapping={"state": "parked", "parked_reason": reason[:500]})
        pipe.sadd(self.keys.batches_parked(), batch_id)
        pipe.execute()

    def renew_lease(self, batch_id: str, until: float) -> None:
        self.redis.zadd(self.keys.batches_due(), {batch_id: until}, xx=True)

    # --- the watchdog's side -------------------------------------------------------------

    def overdue_batches(self, now: float, limit: int = 100) -> list[str]:
        rows = self.redis.zrangebyscore(self.keys.batches_due(), "-inf", now, start=0, num=limit)
        return [_text(r) for r in rows]

    def take_for_redispatch(
        self, batch_id: str, now: float, deadline: float, *, only_state: str = ""
    ) -> str | None:
        """The batch's message if this caller is the one to send it again, else None.

        ``now`` is the cutoff: the batch must be due by then (and in ``only_state``, if given).
        """
        res = self._redispatch(
            keys=[self.keys.batches_due(), self.keys.batch(batch_id)],
            args=[now, deadline, batch_id, only_state],
        )
        return _text(res) if res is not None else None

    def overdue_summaries(self, now: float, limit: int = 100) -> list[str]:
        rows = self.redis.zrangebyscore(self.keys.summaries_due(), "-inf", now, start=0, num=limit)
        return [_text(r) for r in rows]

    def take_due_summaries(self, now: float, hold_until: float, limit: int = 100) -> list[str]:
        """Finished jobs whose summary is due, held until ``hold_until`` so that other
        watchdogs leave them alone; one whose write fails falls due again then."""
        rows = self._take_summaries(keys=[self.keys.summaries_due()], args=[now, hold_until, limit])
        return [_text(r) for r in rows]

    def summary_written(
        self, job_id: str, retention_seconds: int, doc_ids: Sequence[str | bytes] | None = None
    ) -> None:
        """The summary is safe in the bucket: the job's Redis state may now expire.

        ``doc_ids``: the job's documents when the caller has just read them (the summary's
        writer has), saving a round trip.
        """
        if doc_ids is None:
            doc_ids = self.redis.lrange(self.keys.job_docs(job_id), 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrem(self.keys.summaries_due(), job_id)
        pipe.expire(self.keys.job(job_id), retention_seconds)
        pipe.expire(self.keys.job_docs(job_id), retention_seconds)
        for doc_id in doc_ids:
            pipe.expire(self.keys.doc(_text(doc_id)), retention_seconds)
        pipe.execute()

    # --- feed and records ----------------------------------------------------------------

    def record_key(self, record_id: str) -> str | None:
        value = self.redis.get(self.keys.record_location(record_id))
        return value.decode() if value else None

    def feed(self, collection: str, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(cursor, record id, key) in ingestion order, strictly after ``after``."""
        start = f"({after}" if after else "-"
        rows = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            self.redis.xrange(self.keys.feed(collection), min=start, max="+", count=limit),
        )
        return [(sid.decode(), f[b"id"].decode(), f[b"key"].decode()) for sid, f in rows]

    # --- reading -------------------------------------------------------------------------

    def callback(self, job_id: str) -> tuple[str, str] | None:
        """The job's own callback (url, signing secret), if its upload gave one."""
        url, secret = self.redis.hmget(self.keys.job(job_id), ["callback_url", "callback_secret"])
        return (url.decode(), secret.decode()) if url and secret else None

    def get_job(self, job_id: str, **page: Unpack[JobPage]) -> JobView | None:
        """The job and one page of its documents (all of them when ``limit`` is None)."""
        found = self.get_versioned_job(job_id, **page)
        return found[0] if found else None

    def get_versioned_job(self, job_id: str, **page: Unpack[JobPage]) -> tuple[JobView, int] | None:
        """``get_job`` with the job's version, which every change raises, read in the same step
        (a long-poll compares it to see whether to answer).

        The job's hash and its page of document ids come in one round trip, their states in a
        second: a long-poll and a job's summary read a job often.
        """
        with_documents = page.get("with_documents", True)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(self.keys.job(job_id))
        window = _PageWindow.of(page.get("cursor"), page.get("limit"), page.get("status"))
        if with_documents:
            self._list_window(pipe, job_id, window)
        raw, *listed = pipe.execute()
        if not raw:
            return None
        job = {k.decode(): v.decode() for k, v in raw.items()}
        documents = DocumentPage([], None)
        if with_documents:
            documents = self._document_page(window, *listed)
        counts = JobCounts(total=int(job["total"]), **{n: int(job.get(n, 0)) for n in _STATE_FIELDS})
        view = JobView(
            id=job["id"],
            status=JobStatus(job["status"]),
            collection=job["collection"],
            created_at=datetime.fromisoformat(job["created_at"]),
            updated_at=datetime.fromisoformat(job["updated_at"]),
            counts=counts,
            documents=documents.documents,
            next_cursor=documents.next_cursor,
        )
        return view, int(job.get("version", 0))

    def documents(
        self,
        job_id: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        status: DocStatus | None = None,
    ) -> DocumentPage:
        """Documents in upload order from ``cursor`` (a position); with ``status``, only those.

        A filtered page reads at most a few pages' worth of documents, so a rare status in a
        huge job answers quickly with fewer items and a cursor to go on.
        """
        window = _PageWindow.of(cursor, limit, status)
        pipe = self.redis.pipeline(transaction=False)
        self._list_window(pipe, job_id, window)
        return self._document_page(window, *pipe.execute())

    def _list_window(self, pipe: redis.client.Pipeline[bytes], job_id: str, window: _PageWindow) -> None:
        """Queues the reads of the window's document ids and, for a page, the list's length."""
        pipe.lrange(self.keys.job_docs(job_id), window.position, window.stop)
        if window.scan is not None:  # a next page may follow: is there more?
            pipe.llen(self.keys.job_docs(job_id))

    def _document_page(self, window: _PageWindow, listed: list[bytes], length: int = 0) -> DocumentPage:
        """The states of the ``listed`` ids (the window's slice of the job's list, ``length`` long
        when the window is a page)."""
        doc_ids = [_text(d) for d in listed]
        pipe = self.redis.pipeline(transaction=False)
        for doc_id in doc_ids:
            pipe.hgetall(self.keys.doc(doc_id))
        documents: list[DocumentView] = []
        next_position: int | None = None
        for offset, row in enumerate(pipe.execute() if doc_ids else []):
            if not row:
                continue
            view = _document_view({k.decode(): v.decode() for k, v in row.items()})
            if window.status is not None and view.status != window.status:
                continue
            documents.append(view)
            if window.limit is not None and len(documents) == window.limit:
                next_position = window.position + offset + 1
                break
        if next_position is None and window.scan is not None and len(doc_ids) == window.scan:
            next_position = window.position + window.scan
        if next_position is not None and next_position >= length:
            next_position = None
        return DocumentPage(documents, None if next_position is None else str(next_position))

    def get_document(self, doc_id: str) -> dict[str, str] | None:
        raw = self.redis.hgetall(self.keys.doc(doc_id))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    # --- cancellation --------------------------------------------------------------------

    def cancel(self, job_id: str, collection: str = "") -> JobView | None:
        """Cancels what has not started: queued documents end as rejected ("cancelled")."""
        job = self.get_job(job_id, with_documents=False)
        if job is None:
            return None
        if job.status in TERMINAL_JOB_STATUSES:
            return self.get_job(job_id)
        self.redis.hset(self.keys.job(job_id), mapping={"status": JobStatus.cancelled.value})
        doc_ids = [_text(d) for d in self.redis.lrange(self.keys.job_docs(job_id), 0, -1)]
        for start in range(0, len(doc_ids), 500):
            outcomes = [
                DocOutcome(d, DocStatus.rejected, error="cancelled before processing")
                for d in doc_ids[start : start + 500]
            ]
            self.finish_many(job_id, job.collection, outcomes, only_from=DocStatus.queued)
        self.redis.hincrby(self.keys.job(job_id), "version", 1)
        self.redis.publish(self.channel, job_id)
        return self.get_job(job_id)


def _feed_ms(record_id: str) -> int:
    """The record id's ULID millisecond, where its feed id starts (0 for a non-ULID: the head's)."""
    try:
        return ulid_ms(record_id) if record_id else 0
    except ValueError:
        return 0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _document_view(doc: dict[str, str]) -> DocumentView:
    similarity = doc.get("similarity")
    return DocumentView(
        id=doc["id"],
        filename=doc.get("filename") or None,
        status=DocStatus(doc["status"]),
        record_id=doc.get("record_id") or None,
        duplicate_of=doc.get("duplicate_of") or None,
        similarity=float(similarity) if similarity else None,
        error=doc.get("error") or None,
        attempts=int(doc.get("attempts", 0)),
    )


def job_summary_json(job: JobView) -> bytes:
    return json.dumps(job.model_dump(mode="json"), ensure_ascii=False, indent=1).encode()


def write_job_summary(jobs: JobStore, store: ObjectStore, job_id: str, retention_seconds: int) -> None:
    """A finished job's summary outlives Redis in the bucket (rewritten if it changes).

    Jobs that finish are queued for this in the same step that finishes them, and leave the
    queue only here, after the write: a failed write stays queued for the watchdog.
    """
    job = jobs.get_job(job_id)
    if job is None:
        jobs.redis.zrem(jobs.keys.summaries_due(), job_id)
        return
    store.put(job_summary_key(job_id), job_summary_json(job))
    jobs.summary_written(job_id, retention_seconds, [doc.id for doc in job.documents])
