"""Listing jobs, newest first: an index of job ids by creation time, trimmed as jobs expire.

``JobStore.create_job`` adds each job to a sorted set (score: creation time, epoch seconds) in
the transaction that creates it. A job's Redis state expires some days after it finishes; its
index entry goes when a listing meets it (the job hash gone), so the index follows the jobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from ingest_core.ids import is_id
from ingest_core.jobs import JobStore
from ingest_core.keys import collection_owner
from ingest_core.schema import JobCounts, JobListItem, JobStatus

_STATE_FIELDS = ("queued", "processing", "stored", "duplicate", "rejected", "failed")
SCAN_FACTOR = 8  # a filtered page reads at most this many index entries per item asked


@dataclass(frozen=True)
class Cursor:
    """Where a listing stopped: the last index entry read (score, job id)."""

    score: float
    job_id: str

    def encode(self) -> str:
        return f"{self.score!r}:{self.job_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises ValueError unless ``text`` is a cursor a listing handed out."""
        score_text, sep, job_id = text.partition(":")
        score = float(score_text) if sep else math.nan
        if not math.isfinite(score) or score < 0 or not is_id(job_id):
            raise ValueError("not a jobs cursor")
        return cls(score, job_id)


@dataclass(frozen=True)
class JobPage:
    items: list[JobListItem]
    next: str | None


def list_jobs(
    jobs: JobStore,
    *,
    collection: str | None = None,
    status: JobStatus | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
    tenant: str | None = None,
) -> JobPage:
    """Jobs newest first. ``created_after``/``created_before`` are exclusive bounds. A page
    reads at most ``limit * SCAN_FACTOR`` index entries, so a rare filter answers quickly with
    fewer items and a ``next`` cursor to go on; ``next`` is None at the end of the index."""
    after = Cursor.decode(cursor) if cursor else None
    index = jobs.keys.jobs_index()
    high: str = "+inf"
    if created_before is not None:
        high = f"({created_before.timestamp()!r}"
    if after is not None and (created_before is None or after.score < created_before.timestamp()):
        high = repr(after.score)
    low = f"({created_after.timestamp()!r}" if created_after is not None else "-inf"
    items: list[JobListItem] = []
    budget = limit * SCAN_FACTOR
    offset = 0
    last: Cursor | None = None
    exhausted = False
    while len(items) < limit and budget > 0:
        step = min(budget, max(limit * 2, 50))
        rows = jobs.redis.zrevrangebyscore(index, high, low, start=offset, num=step, withscores=True)
        offset += len(rows)
        budget -= len(rows)
        entries = [
            (member.decode(), float(score))
            for member, score in rows
            if after is None or float(score) != after.score or member.decode() < after.job_id
        ]
        pipe = jobs.redis.pipeline(transaction=False)
        for job_id, _ in entries:
            pipe.hgetall(jobs.keys.job(job_id))
        gone: list[str] = []
        for (job_id, score), raw in zip(entries, pipe.execute(), strict=True):
            last = Cursor(score, job_id)
            if not raw:
                gone.append(job_id)
                continue
            item = _item({k.decode(): v.decode() for k, v in raw.items()})
            if (
                (collection is None or item.collection == collection)
                and (status is None or item.status == status)
                and (tenant is None or collection_owner(item.collection)[0] == tenant)
            ):
                items.append(item)
                if len(items) == limit:
                    break
        if gone:
            jobs.redis.zrem(index, *gone)
            offset -= len(gone)  # the entries after them moved up
        if len(rows) < step:
            exhausted = len(items) < limit or last == _last_entry(entries)
            break
    if exhausted or last is None:
        return JobPage(items, None)
    return JobPage(items, last.encode())


def _last_entry(entries: list[tuple[str, float]]) -> Cursor | None:
    return Cursor(entries[-1][1], entries[-1][0]) if entries else None


def _item(job: dict[str, str]) -> JobListItem:
    return JobListItem(
        id=job["id"],
        status=JobStatus(job["status"]),
        collection=job["collection"],
        created_at=datetime.fromisoformat(job["created_at"]),
        updated_at=datetime.fromisoformat(job["updated_at"]),
        counts=JobCounts(total=int(job["total"]), **{n: int(job.get(n, 0)) for n in _STATE_FIELDS}),
    )
