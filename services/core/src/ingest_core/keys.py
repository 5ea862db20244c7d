"""Object-storage and Redis key layout: the one place that knows where things live.

Tenants share this layout through their *internal* collection names: a non-default tenant's
collection ``news`` is stored, indexed and fed as ``acme~news`` (``tenant_collection``), so its
records (``records/v1/acme~news/…``), raw uploads, dedup index and feed never meet another
tenant's. ``~`` cannot occur in a collection name (``valid_collection``), so the mapping is
one-to-one and the default tenant's names, and everything already stored, stay as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, date

from ulid import ULID

RECORD_SCHEMA_PREFIX = "records/v1"
_COLLECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
DEFAULT_TENANT = "default"
TENANT_SEPARATOR = "~"  # outside the collection alphabet: internal names never collide


def valid_collection(name: str) -> bool:
    """Collections become key segments, so they must be short and path-safe."""
    return bool(_COLLECTION_RE.match(name))


def tenant_collection(tenant: str, collection: str) -> str:
    """The internal collection name: keys, dedup and feed of ``collection`` for ``tenant``."""
    return collection if tenant == DEFAULT_TENANT else f"{tenant}{TENANT_SEPARATOR}{collection}"


def collection_owner(internal: str) -> tuple[str, str]:
    """(tenant, the tenant's own collection name) of an internal collection name."""
    tenant, separator, collection = internal.partition(TENANT_SEPARATOR)
    return (tenant, collection) if separator else (DEFAULT_TENANT, internal)


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


def record_collection_from_key(key: str) -> str:
    """The (internal) collection of a record key."""
    return key.removeprefix(f"{RECORD_SCHEMA_PREFIX}/").split("/", 1)[0]


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

    def batches_parked(self) -> str:
        """Batches whose message no worker can read (corrupt outbox entry): kept for an operator."""
        return f"{self.prefix}:batches:parked"

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

    def idempotency(self, key: str, tenant: str = DEFAULT_TENANT) -> str:
        """A tenant's Idempotency-Key; the default tenant's keep their original names."""
        if tenant == DEFAULT_TENANT:
            return f"{self.prefix}:idem:{key}"
        return f"{self.prefix}:tenant:{tenant}:idem:{key}"

    def rate(self, kind: str, key_id: str) -> str:
        """A per-API-key token bucket (``kind``: requests or documents)."""
        return f"{self.prefix}:rate:{kind}:{key_id}"

    def job_events(self) -> str:
        """A stream of finished jobs (``job``): what ``job.finished`` webhooks are made from."""
        return f"{self.prefix}:events:jobs"

    def webhook(self, webhook_id: str) -> str:
        """A webhook subscription: tenant, internal collection, url, events, secret, feed cursor."""
        return f"{self.prefix}:webhook:{webhook_id}"

    def webhooks(self) -> str:
        """Every subscription's id (the dispatcher's list)."""
        return f"{self.prefix}:webhooks"

    def tenant_webhooks(self, tenant: str) -> str:
        """A tenant's subscriptions by creation time (epoch seconds)."""
        return f"{self.prefix}:tenant:{tenant}:webhooks"

    def webhook_deliveries(self, webhook_id: str) -> str:
        """A subscription's delivery log: delivery ids by creation time."""
        return f"{self.prefix}:webhook:{webhook_id}:deliveries"

    def delivery(self, delivery_id: str) -> str:
        """One message to one URL: its body, attempts and outcome; the id is its webhook-id."""
        return f"{self.prefix}:delivery:{delivery_id}"

    def deliveries_due(self) -> str:
        """Deliveries by the time of their next attempt (or the end of a sender's lease)."""
        return f"{self.prefix}:deliveries:due"

    def webhook_jobs_cursor(self) -> str:
        """The last entry of ``job_events`` the dispatchers have fanned out."""
        return f"{self.prefix}:webhooks:cursor:jobs"

    def webhook_fanout_lock(self) -> str:
        """Taken by the one dispatcher that turns new events into deliveries."""
        return f"{self.prefix}:webhooks:fanout"

    def record_location(self, record_id: str) -> str:
        return f"{self.prefix}:rec:{record_id}"

    def feed(self, collection: str) -> str:
        return f"{self.prefix}:feed:{collection}"

    def feed_marker(self, record_id: str) -> str:
        """Set once when the record enters its feed; holds its stream id ("1" in older feeds)."""
        return f"{self.prefix}:feed:added:{record_id}"

    def feed_head(self, collection: str) -> str:
        """The last feed id ever handed out in the collection: ids stay increasing past a loss."""
        return f"{self.prefix}:feedmeta:{collection}:head"

    def feed_check(self, collection: str) -> str:
        """Set when a record was appended to a missing stream: readers rebuild before serving."""
        return f"{self.prefix}:feedmeta:{collection}:check"

    def feed_empty(self, collection: str) -> str:
        """Short-lived: the bucket had no record of a collection without a feed (a cheap "no")."""
        return f"{self.prefix}:feedmeta:{collection}:empty"

    def feed_rebuild_lock(self, collection: str) -> str:
        """Held by the one process rebuilding the collection's feed."""
        return f"{self.prefix}:feedmeta:{collection}:rebuild"

    def dedup(self, collection: str) -> str:
        return f"{self.prefix}:dedup:{collection}"

    def source_profile(self, source: str) -> str:
        return f"{self.prefix}:src:{source}"
