"""The webhook dispatcher: one more reader of the record feeds and of finished jobs.

Every worker's main process runs one, in a thread beside the watchdog. Each pass:

1. *Fan-out* (one dispatcher at a time, under a short Redis lock): finished jobs from the job
   events stream (one cursor for all) become ``job.finished`` deliveries for the subscriptions
   of the job's collection and for the job's own ``callback_url``; new entries of each
   ``record.stored`` subscription's collection feed (a cursor per subscription) become
   ``record.stored`` deliveries. A delivery's id (its ``webhook-id``) is fixed by subscription
   and subject, and making one that exists does nothing, so a pass that dies before moving a
   cursor only repeats work.
2. *Delivery*: deliveries due (a Redis sorted set by next attempt) are taken under a lease and
   POSTed, signed, a few at a time. A 2xx is delivered; anything else is retried after
   ``webhook_retry_base_seconds`` doubling up to ``webhook_retry_max_interval_seconds``, until
   ``webhook_retry_for_seconds`` after the event, then given up. Before each attempt the URL is
   resolved and checked again, and the request goes to the address checked; redirects are not
   followed and at most a few KB of an answer is read.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import structlog

from ingest_core import __version__
from ingest_core.ids import new_id
from ingest_core.jobs import JobStore
from ingest_core.keys import collection_owner
from ingest_core.settings import Settings
from ingest_core.webhooks import (
    Delivery,
    NewDelivery,
    RefusedDestination,
    Resolver,
    Subscription,
    WebhookStore,
    check_destination,
    delivery_id,
    event_body,
    retry_delay,
    signed_headers,
    system_resolver,
)

log = structlog.get_logger("ingest_worker.webhooks")

FANOUT_BATCH = 500  # stream entries one pass reads per cursor
MAX_RESPONSE_BYTES = 4096  # of a receiver's answer, kept for the log
USER_AGENT = f"ingest-webhooks/{__version__}"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class DispatchSweep:
    made: int
    sent: int
    delivered: int


def _stream_time(stream_id: str) -> datetime:
    return datetime.fromtimestamp(int(stream_id.split("-", 1)[0]) / 1000, UTC)


class WebhookDispatcher:
    """Turns events into deliveries and sends them; safe to run in any number of workers."""

    def __init__(
        self,
        settings: Settings,
        jobs: JobStore,
        store: WebhookStore | None = None,
        *,
        http: httpx.Client | None = None,
        resolve: Resolver = system_resolver,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.store = store or WebhookStore(jobs.redis, jobs.keys)
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the address checked is the one reached
            limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2),
        )
        self.resolve = resolve
        self.clock = clock
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency, thread_name_prefix="ingest-webhook")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one pass ------------------------------------------------------------------------

    def sweep(self) -> DispatchSweep:
        made = self.fan_out()
        sent, delivered = self.deliver_due()
        return DispatchSweep(made, sent, delivered)

    def fan_out(self) -> int:
        """New events → deliveries, by the one dispatcher holding the lock."""
        token = new_id()
        if not self.store.lock(token, ttl_seconds=60):
            return 0
        try:
            subscriptions = self.store.all()
            return self._finished_jobs(subscriptions) + self._stored_records(subscriptions)
        finally:
            self.store.unlock(token)

    def _finished_jobs(self, subscriptions: list[Subscription]) -> int:
        redis, keys = self.jobs.redis, self.jobs.keys
        cursor = (redis.get(keys.webhook_jobs_cursor()) or b"0-0").decode()
        rows = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            redis.xrange(keys.job_events(), min=f"({cursor}", max="+", count=FANOUT_BATCH),
        )
        if not rows:
            return 0
        watching: dict[str, list[Subscription]] = defaultdict(list)
        for subscription in subscriptions:
            if "job.finished" in subscription.events:
                watching[subscription.collection].append(subscription)
        deliveries: list[NewDelivery] = []
        for _, fields in rows:
            job_id = fields[b"job"].decode()
            job = self.jobs.get_job(job_id, with_documents=False)
            if job is None:
                continue
            data: dict[str, Any] = job.model_dump(mode="json", exclude={"documents", "next_cursor"})
            data["collection"] = collection_owner(job.collection)[1]
            body = event_body("job.finished", data, job.updated_at)
            for subscription in watching.get(job.collection, []):
                deliveries.append(
                    NewDelivery(
                        id=delivery_id(subscription.id, "job.finished", job_id),
                        type="job.finished",
                        body=body,
                        webhook_id=subscription.id,
                    )
                )
            callback = self.jobs.callback(job_id)
            if callback is not None:
                url, secret = callback
                deliveries.append(
                    NewDelivery(
                        id=delivery_id("callback", job_id),
                        type="job.finished",
                        body=body,
                        url=url,
                        secret=secret,
                    )
                )
        made = self.store.enqueue(deliveries, self.clock())
        redis.set(keys.webhook_jobs_cursor(), rows[-1][0])
        return made

    def _stored_records(self, subscriptions: list[Subscription]) -> int:
        made = 0
        for subscription in subscriptions:
            if "record.stored" not in subscription.events:
                continue
            rows = cast(
                list[tuple[bytes, dict[bytes, bytes]]],
                self.jobs.redis.xrange(
                    self.jobs.keys.feed(subscription.collection),
                    min=f"({subscription.cursor}",
                    max="+",
                    count=FANOUT_BATCH,
                ),
            )
            if not rows:
                continue
            collection = collection_owner(subscription.collection)[1]
            deliveries = []
            for stream_id, fields in rows:
                record_id, cursor = fields[b"id"].decode(), stream_id.decode()
                data = {"id": record_id, "collection": collection, "cursor": cursor}
                deliveries.append(
                    NewDelivery(
                        id=delivery_id(subscription.id, "record.stored", record_id),
                        type="record.stored",
                        body=event_body("record.stored", data, _stream_time(cursor)),
                        webhook_id=subscription.id,
                    )
                )
            made += self.store.enqueue(deliveries, self.clock())
            self.store.advance(subscription.id, rows[-1][0].decode())
        return made

    def deliver_due(self) -> tuple[int, int]:
        """Sends what is due, a few at a time; (sent, delivered)."""
        now = self.clock()
        lease = now + 2 * self.settings.webhook_timeout_seconds + 30
        due = self.store.take_due(now, lease, self.settings.webhook_concurrency * 4)
        if not due:
            return 0, 0
        results = list(self._pool.map(self.attempt, due))
        sent = sum(1 for r in results if r is not None)
        return sent, sum(1 for r in results if r is not None and r.ok)

    # --- one delivery --------------------------------------------------------------------

    def attempt(self, delivery_id: str) -> Attempt | None:
        """One attempt of one delivery, its outcome written; None when there was nothing to send."""
        settings = self.settings
        delivery = self.store.delivery(delivery_id)
        if delivery is None:  # expired: nothing to send
            self.jobs.redis.zrem(self.jobs.keys.deliveries_due(), delivery_id)
            return None
        url, secret = delivery.url, delivery.secret
        if delivery.webhook_id:
            subscription = self.store.get(delivery.webhook_id)
            if subscription is None:
                self.store.cancel(delivery_id, settings.webhook_delivery_retention_seconds)
                return None
            url, secret = subscription.url, subscription.secret
        result = self.send(url, secret, delivery)
        now = self.clock()
        retry_at: float | None = None
        if not result.ok:
            wait = retry_delay(
                delivery.attempts + 1,
                settings.webhook_retry_base_seconds,
                settings.webhook_retry_max_interval_seconds,
            )
            if now + wait <= delivery.created_ts + settings.webhook_retry_for_seconds:
                retry_at = now + wait
        self.store.record_attempt(
            delivery_id,
            now=now,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            retry_at=retry_at,
            retention_seconds=settings.webhook_delivery_retention_seconds,
        )
        log.info(
            "webhook.attempt",
            delivery_id=delivery_id,
            webhook_id=delivery.webhook_id or None,
            type=delivery.type,
            attempt=delivery.attempts + 1,
            ok=result.ok,
            status=result.status_code,
            error=result.error,
            retry_at=retry_at,
        )
        return result

    def send(self, url: str, secret: str, delivery: Delivery) -> Attempt:
        """POSTs the delivery, signed for this attempt, to the address the guard checked."""
        try:
            destination = check_destination(url, self.settings.webhook_allowed_networks, self.resolve)
        except RefusedDestination as exc:
            return Attempt(False, error=f"refused: {exc}")
        headers = {
            **signed_headers(secret, delivery.id, delivery.body, int(self.clock())),
            "host": destination.host_header,
            "user-agent": USER_AGENT,
        }
        extensions: dict[str, Any] = {}
        if destination.scheme == "https":
            extensions["sni_hostname"] = destination.host  # TLS checks the name, not the address
        try:
            with self.http.stream(
                "POST", destination.pinned_url, content=delivery.body, headers=headers, extensions=extensions
            ) as response:
                head = _read_some(response, MAX_RESPONSE_BYTES)
                if 200 <= response.status_code < 300:
                    return Attempt(True, response.status_code)
                reason = (
                    "a redirect (not followed)" if response.is_redirect else head.decode(errors="replace")
                )
                return Attempt(False, response.status_code, f"HTTP {response.status_code}: {reason[:300]}")
        except httpx.HTTPError as exc:
            return Attempt(False, error=f"{type(exc).__name__}: {exc}"[:500])

    # --- the thread ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ingest-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.webhook_dispatch_interval_seconds):
            try:
                self.sweep()
            except Exception as exc:  # Redis away: try again next time
                log.warning("webhooks.sweep_failed", error=f"{type(exc).__name__}: {exc}")


def _read_some(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the answer; the rest is never read."""
    head = b""
    for chunk in response.iter_raw():
        head += chunk
        if len(head) >= limit:
            break
    return head[:limit]
