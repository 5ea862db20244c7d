"""Object-storage and Redis key layout: the one place that knows where things live."""

from __future__ import annotations

import re
from datetime import UTC, date

from ulid import ULID

RECORD_SCHEMA_PREFIX = "records/v1"
_COLLECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def valid_collection(name: str) -> bool:
    """Collections become key segments, so they must be short and path-safe."""
    return bool(_COLLECTION_RE.match(name))


def raw_key(collection: str, sha256: str) -> str:
    return f"raw/{collection}/{sha256}"


def record_prefix(collection: str) -> str:
    return f"{RECORD_SCHEMA_PREFIX}/{collection}/"


def record_key(collection: str, record_id: str) -> str:
    """Date folders come from the ULID's own timestamp, so key order is id order."""
    when = ULID.from_str(record_id).datetime.astimezone(UTC)
    return f"{record_prefix(collection)}{when:%Y/%m/%d}/{record_id}.json"


def record_id_from_key(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".json")


def job_summary_key(job_id: str) -> str:
    return f"jobs/{job_id}.json"


def record_day_prefix(collection: str, day: date) -> str:
    """The folder of one UTC day's records (by the record id's own timestamp)."""
    return f"{record_prefix(collection)}{day:%Y/%m/%d}/"


def collection_from_record_prefix(prefix: str) -> str:
    """``records/v1/news/`` → ``news``."""
    return prefix.removeprefix(f"{RECORD_SCHEMA_PREFIX}/").strip("/")


def export_day_prefix(collection: str, day: date) -> str:
    return f"exports/v1/{collection}/dt={day:%Y-%m-%d}/"


def export_key(collection: str, day: date, part: int) -> str:
    """A part of the daily compaction: one day's records of a collection, in key order."""
    return f"{export_day_prefix(collection, day)}part-{part:05d}.parquet"


def export_request_key(export_id: str, part: int, extension: str) -> str:
    """A part of an export someone asked for (``POST /v1/exports``): outside ``exports/v1/``
    so a glob over the daily partitions never reads it twice."""
    return f"exports/requests/{export_id}/part-{part:05d}.{extension}"


class RedisKeys:
    """Redis key names, all under one prefix so several deployments can share a server."""

    def __init__(self, prefix: str = "ingest") -> None:
        self.prefix = prefix

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def job_docs(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:docs"

    def doc(self, doc_id: str) -> str:
        return f"{self.prefix}:doc:{doc_id}"

    def batch(self, batch_id: str) -> str:
        """A batch's task message and state (pending, sent, claimed): the outbox."""
        return f"{self.prefix}:batch:{batch_id}"

    def batches_due(self) -> str:
        """Batches by the time the watchdog must send them again unless a worker moves first."""
        return f"{self.prefix}:batches:due"

    def summaries_due(self) -> str:
        """Finished jobs whose summary is not yet in the bucket."""
        return f"{self.prefix}:summaries:due"

    def jobs_index(self) -> str:
        """Job ids by creation time (epoch seconds), for listing; trimmed as jobs expire."""
        return f"{self.prefix}:jobs:index"

    def export(self, export_id: str) -> str:
        return f"{self.prefix}:export:{export_id}"

    def compaction_lock(self, day: date) -> str:
        """Taken by the one watchdog that schedules the day's compaction."""
        return f"{self.prefix}:compaction:{day:%Y-%m-%d}"

    def idempotency(self, key: str) -> str:
        return f"{self.prefix}:idem:{key}"

    def record_location(self, record_id: str) -> str:
        return f"{self.prefix}:rec:{record_id}"

    def feed(self, collection: str) -> str:
        return f"{self.prefix}:feed:{collection}"

    def feed_marker(self, record_id: str) -> str:
        return f"{self.prefix}:feed:added:{record_id}"

    def dedup(self, collection: str) -> str:
        return f"{self.prefix}:dedup:{collection}"

    def source_profile(self, source: str) -> str:
        return f"{self.prefix}:src:{source}"
