"""The watchdog: sends again every batch whose work is gone, and writes overdue job summaries.

Every worker runs one, in its main process. A batch falls due when the API registered it but
died before sending it, when its worker stopped renewing its lease (killed, or cut off from
Redis), when an outage asked for a back-off, or when a sent message was never claimed. Of
several watchdogs exactly one takes each overdue batch (a Lua check-and-set), and a second
delivery of a batch is harmless: finished documents are skipped, record ids are reserved once.
A batch whose message cannot be read (a corrupt outbox entry) is parked, with its reason, instead
of failing the same way every sweep.

Once a day (after ``export_compaction_delay_seconds`` past midnight UTC) the watchdog also
schedules yesterday's daily Parquet compaction of every collection; a Redis lock per day lets
exactly one of the workers' watchdogs do it.

Beside it, in a thread of its own so a slow receiver never delays a resend, runs the webhook
dispatcher (``ingest_worker.webhooks``), unless ``webhooks_enabled`` is off.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import redis
import structlog
from pydantic import ValidationError

from ingest_core.jobs import JobStore, write_job_summary
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import QUEUE, BatchMessage, TaskSender, send_batch
from ingest_worker.exports import compaction_day, schedule_daily_compaction
from ingest_worker.metrics import PARKED, QUEUE_DEPTH, RESENT
from ingest_worker.webhooks import WebhookDispatcher

log = structlog.get_logger("ingest_worker.watchdog")

#: The worker that finished a job writes its summary at once; a summary still unwritten this
#: long after (S3 failed just then, or the worker died) is the watchdog's to write.
SUMMARY_GRACE_SECONDS = 5.0
#: A sweep takes overdue summaries in chunks of this many, and holds them this long: another
#: watchdog leaves them alone meanwhile, and a failed write falls due again after it.
SUMMARY_CHUNK = 100
SUMMARY_HOLD_SECONDS = 30.0


@dataclass(frozen=True)
class Sweep:
    resent: int
    summaries: int
    compactions: int = 0


class Watchdog:
    def __init__(
        self,
        settings: Settings,
        sender: TaskSender,
        jobs: JobStore,
        store: ObjectStore,
        broker: redis.Redis[bytes] | None = None,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.sender = sender
        self.jobs = jobs
        self.store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._compacted: date | None = None  # the last day this process saw scheduled
        self.webhooks: WebhookDispatcher | None = None

    @classmethod
    def from_settings(cls, settings: Settings, sender: TaskSender) -> Watchdog:
        client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
        broker = None
        if settings.celery_broker_url.startswith(("redis://", "rediss://", "unix://")):
            broker = redis.Redis.from_url(settings.celery_broker_url, health_check_interval=30)
        return cls(settings, sender, JobStore(client), ObjectStore.from_settings(settings), broker)

    def sweep(self, now: float | None = None) -> Sweep:
        """One pass; safe to run from any number of processes at once."""
        now = time.time() if now is None else now
        resent = self._resend(now, now)
        if self._broker_queue_empty():
            # Nothing waits in the broker, so a batch sent a while ago that no worker holds was
            # lost on the way (a message taken while Redis died): no need to wait the timeout.
            grace = 2 * self.settings.batch_lease_seconds
            resent += self._resend(now + self.settings.sent_timeout_seconds - grace, now, only_state="sent")
        return Sweep(resent, self._write_summaries(now), self._daily_compaction(now))

    def _write_summaries(self, now: float) -> int:
        """Overdue summaries into the bucket, each taken (and held) by one watchdog only."""
        written = 0
        cutoff = now - SUMMARY_GRACE_SECONDS
        while due := self.jobs.take_due_summaries(cutoff, cutoff + SUMMARY_HOLD_SECONDS, SUMMARY_CHUNK):
            for job_id in due:
                try:
                    write_job_summary(self.jobs, self.store, job_id, self.settings.job_retention_seconds)
                except Exception:  # held: it falls due again when the hold ends
                    log.warning("watchdog.summary_failed", job_id=job_id, exc_info=True)
                    continue
                written += 1
            if len(due) < SUMMARY_CHUNK:
                break
        return written

    def _daily_compaction(self, now: float) -> int:
        """Schedules yesterday's compaction once it is due; one Redis SET a day per worker."""
        if not self.settings.export_compaction_enabled:
            return 0
        day = compaction_day(datetime.fromtimestamp(now, UTC), self.settings)
        if day is None or day == self._compacted:
            return 0
        ids = schedule_daily_compaction(self.settings, self.sender, self.jobs.redis, self.store, day)
        self._compacted = day
        return len(ids or [])

    def _resend(self, cutoff: float, now: float, *, only_state: str = "") -> int:
        resent = 0
        deadline = now + self.settings.sent_timeout_seconds
        for batch_id in self.jobs.overdue_batches(cutoff):
            message = self.jobs.take_for_redispatch(batch_id, cutoff, deadline, only_state=only_state)
            if message is None:
                continue
            try:
                batch = BatchMessage.model_validate_json(message)
            except ValidationError as exc:
                log.error("watchdog.parked", batch_id=batch_id, error=str(exc).splitlines()[0])
                self.jobs.park(batch_id, f"unreadable batch message: {exc}")
                PARKED.inc()
                continue
            try:
                send_batch(self.sender, batch, self.settings)
            except Exception:
                log.warning("watchdog.send_failed", batch_id=batch_id, exc_info=True)
                self.jobs.reschedule(batch_id, now + 5 * self.settings.watchdog_interval_seconds)
                continue
            resent += 1
            RESENT.labels(only_state or "due").inc()
            log.info("watchdog.resent", batch_id=batch_id, reason=only_state or "due")
        return resent

    def _broker_queue_empty(self) -> bool:
        if self.broker is None:
            return False
        # kombu's Redis transport keeps one list per priority step: "ingest", "ingest\x06\x163"…
        names = [QUEUE, *(f"{QUEUE}\x06\x16{step}" for step in (3, 6, 9))]
        pipe = self.broker.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
        depth = sum(int(n) for n in pipe.execute())
        QUEUE_DEPTH.set(depth)
        return depth == 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ingest-watchdog", daemon=True)
        self._thread.start()
        if self.settings.webhooks_enabled:
            self.webhooks = WebhookDispatcher(self.settings, self.jobs)
            self.webhooks.start()

    def stop(self) -> None:
        self._stop.set()
        if self.webhooks is not None:
            self.webhooks.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.watchdog_interval_seconds):
            try:
                self.sweep()
            except Exception as exc:  # Redis or S3 away: try again next time
                log.warning("watchdog.sweep_failed", error=f"{type(exc).__name__}: {exc}")
