"""Job store in Redis: atomic, forward-only state changes.

Every change to a document goes through one Lua script that moves its state forward (never
back), adjusts the job's counts in the same step and derives the job's status. So counts add
up to the number of documents even when a task is delivered twice or two workers race.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import redis

from ingest_core.ids import new_id
from ingest_core.keys import RedisKeys, job_summary_key
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

# KEYS: doc, job.  ARGV: new status, now, then field/value pairs to set on the doc.
# Returns {moved (1/0/-1), previous doc status, job status, job finished now (1/0)}.
_TRANSITION = """
local rank = {queued=0, processing=1, stored=2, duplicate=2, rejected=2, failed=2}
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {-1, '', '', 0} end
local new = ARGV[1]
local jstatus = redis.call('HGET', KEYS[2], 'status')
if rank[new] <= rank[cur] then return {0, cur, jstatus, 0} end
redis.call('HSET', KEYS[1], 'status', new)
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HINCRBY', KEYS[2], cur, -1)
redis.call('HINCRBY', KEYS[2], new, 1)
local j = redis.call('HMGET', KEYS[2], 'total', 'stored', 'duplicate', 'rejected', 'failed')
local total = tonumber(j[1])
local good = tonumber(j[2] or 0) + tonumber(j[3] or 0)
local bad = tonumber(j[4] or 0) + tonumber(j[5] or 0)
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
redis.call('HSET', KEYS[2], 'status', newj, 'updated_at', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'version', 1)
return {1, cur, newj, finished}
"""

# KEYS: doc, job.  ARGV: now, candidate record id.
# Returns {verdict, attempts, record id}: verdict "go" (process it) or "skip" (terminal).
_START = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing', 0, ''} end
if cur ~= 'queued' and cur ~= 'processing' then return {'skip', 0, ''} end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSETNX', KEYS[1], 'record_id_reserved', ARGV[2])
local rid = redis.call('HGET', KEYS[1], 'record_id_reserved')
if cur == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'processing')
  redis.call('HINCRBY', KEYS[2], 'queued', -1)
  redis.call('HINCRBY', KEYS[2], 'processing', 1)
  if redis.call('HGET', KEYS[2], 'status') == 'queued' then
    redis.call('HSET', KEYS[2], 'status', 'running')
  end
  redis.call('HSET', KEYS[2], 'updated_at', ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'version', 1)
end
return {'go', attempts, rid}
"""

# KEYS: feed marker, feed stream, record location.  ARGV: record id, record key.
_PUBLISH = """
if redis.call('SET', KEYS[1], '1', 'NX') then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'key', ARGV[2])
end
redis.call('SET', KEYS[3], ARGV[2])
return 1
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class NewDocument:
    """A document as the API registers it, before any worker has seen it."""

    filename: str | None
    raw_key: str
    sha256: str
    size_bytes: int
    doc_id: str = field(default_factory=new_id)
    rejected_reason: str | None = None  # refused at upload (too large, corrupt archive…)


@dataclass(frozen=True)
class Transition:
    moved: bool
    previous: str
    job_status: str
    job_finished: bool


@dataclass(frozen=True)
class StartVerdict:
    go: bool
    attempts: int
    record_id: str


class JobStore:
    """All job and document state. Safe to share between threads (redis-py pools)."""

    def __init__(self, client: redis.Redis[bytes], keys: RedisKeys | None = None) -> None:
        self.redis = client
        self.keys = keys or RedisKeys()
        self._transition = client.register_script(_TRANSITION)
        self._start = client.register_script(_START)
        self._publish = client.register_script(_PUBLISH)

    # --- creation ------------------------------------------------------------------------

    def create_job(self, collection: str, documents: list[NewDocument], *, job_id: str | None = None) -> str:
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
        rejected = sum(1 for d in documents if d.rejected_reason)
        job_fields["queued"] = len(documents) - rejected
        job_fields["rejected"] = rejected
        if rejected == len(documents):
            job_fields["status"] = JobStatus.failed.value if documents else JobStatus.succeeded.value
        pipe.hset(self.keys.job(job_id), mapping=job_fields)
        if documents:
            pipe.rpush(self.keys.job_docs(job_id), *[d.doc_id for d in documents])
        for doc in documents:
            fields: dict[str | bytes, bytes | float | int | str] = {
                "id": doc.doc_id,
                "job_id": job_id,
                "filename": doc.filename or "",
                "status": DocStatus.queued.value,
                "raw_key": doc.raw_key,
                "sha256": doc.sha256,
                "attempts": 0,
            }
            if doc.rejected_reason:
                fields["status"] = DocStatus.rejected.value
                fields["error"] = doc.rejected_reason
            pipe.hset(self.keys.doc(doc.doc_id), mapping=fields)
        pipe.execute()
        return job_id

    def claim_idempotency_key(self, key: str, fingerprint: str, job_id: str) -> str | None:
        """Returns None when the key is new, else the job id it already names.

        Raises ValueError when the key was used with a different request body.
        """
        value = f"{fingerprint}:{job_id}"
        if self.redis.set(self.keys.idempotency(key), value, nx=True, ex=7 * 86400):
            return None
        existing = self.redis.get(self.keys.idempotency(key))
        if existing is None:  # expired in between: treat as new
            return None
        old_fingerprint, _, old_job = existing.decode().rpartition(":")
        if old_fingerprint != fingerprint:
            raise ValueError("Idempotency-Key was used with a different request")
        return old_job

    def release_idempotency_key(self, key: str) -> None:
        self.redis.delete(self.keys.idempotency(key))

    # --- worker side ---------------------------------------------------------------------

    def start(self, job_id: str, doc_id: str, candidate_record_id: str) -> StartVerdict:
        """Marks a document processing, counts the attempt and reserves its record id.

        The record id is reserved once: a redelivered task gets the same id, so its writes
        land on the same keys.
        """
        res = self._start(
            keys=[self.keys.doc(doc_id), self.keys.job(job_id)],
            args=[_now(), candidate_record_id],
        )
        verdict = res[0].decode() if isinstance(res[0], bytes) else str(res[0])
        rid = res[2].decode() if isinstance(res[2], bytes) else str(res[2])
        return StartVerdict(go=verdict == "go", attempts=int(res[1]), record_id=rid)

    def finish(
        self,
        job_id: str,
        doc_id: str,
        status: DocStatus,
        *,
        record_id: str | None = None,
        duplicate_of: str | None = None,
        similarity: float | None = None,
        error: str | None = None,
    ) -> Transition:
        fields = {
            "record_id": record_id or "",
            "duplicate_of": duplicate_of or "",
            "similarity": "" if similarity is None else repr(float(similarity)),
            "error": (error or "")[:2000],
        }
        args: list[str] = [status.value, _now()]
        for name, value in fields.items():
            args += [name, value]
        res = self._transition(keys=[self.keys.doc(doc_id), self.keys.job(job_id)], args=args)
        return Transition(
            moved=int(res[0]) == 1,
            previous=_text(res[1]),
            job_status=_text(res[2]),
            job_finished=int(res[3]) == 1,
        )

    def publish_record(self, collection: str, record_id: str, key: str) -> None:
        """Adds a stored record to its collection's feed exactly once, and remembers its key."""
        self._publish(
            keys=[
                self.keys.feed_marker(record_id),
                self.keys.feed(collection),
                self.keys.record_location(record_id),
            ],
            args=[record_id, key],
        )

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

    def job_version(self, job_id: str) -> int | None:
        value = self.redis.hget(self.keys.job(job_id), "version")
        return int(value) if value is not None else None

    def get_job(self, job_id: str, *, with_documents: bool = True) -> JobView | None:
        raw = self.redis.hgetall(self.keys.job(job_id))
        if not raw:
            return None
        job = {k.decode(): v.decode() for k, v in raw.items()}
        documents: list[DocumentView] = []
        if with_documents:
            doc_ids = [d.decode() for d in (self.redis.lrange(self.keys.job_docs(job_id), 0, -1))]
            pipe = self.redis.pipeline(transaction=False)
            for doc_id in doc_ids:
                pipe.hgetall(self.keys.doc(doc_id))
            for row in pipe.execute():
                documents.append(_document_view({k.decode(): v.decode() for k, v in row.items()}))
        counts = JobCounts(total=int(job["total"]), **{n: int(job.get(n, 0)) for n in _STATE_FIELDS})
        return JobView(
            id=job["id"],
            status=JobStatus(job["status"]),
            collection=job["collection"],
            created_at=datetime.fromisoformat(job["created_at"]),
            updated_at=datetime.fromisoformat(job["updated_at"]),
            counts=counts,
            documents=documents,
        )

    def get_document(self, doc_id: str) -> dict[str, str] | None:
        raw = self.redis.hgetall(self.keys.doc(doc_id))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    # --- cancellation --------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobView | None:
        """Cancels what has not started: queued documents end as rejected ("cancelled")."""
        job = self.get_job(job_id)
        if job is None:
            return None
        if job.status in TERMINAL_JOB_STATUSES:
            return job
        self.redis.hset(self.keys.job(job_id), mapping={"status": JobStatus.cancelled.value})
        for doc in job.documents:
            if doc.status == DocStatus.queued:
                self.finish(job_id, doc.id, DocStatus.rejected, error="cancelled before processing")
        self.redis.hincrby(self.keys.job(job_id), "version", 1)
        return self.get_job(job_id)


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


def write_job_summary(jobs: JobStore, store: ObjectStore, job_id: str) -> None:
    """A finished job's summary outlives Redis in the bucket (rewritten if it changes)."""
    job = jobs.get_job(job_id)
    if job is not None:
        store.put(job_summary_key(job_id), job_summary_json(job))
