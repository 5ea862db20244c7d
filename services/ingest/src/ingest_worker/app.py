"""The Celery app: at-least-once delivery, a batch of documents per task, no result backend.

``acks_late`` plus ``task_reject_on_worker_lost`` hands the task of a killed pool process to
another; a killed worker's batches are sent again by the watchdog once their lease runs out.
Everything a task writes is keyed so a second run changes nothing.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

import structlog
from celery import Celery
from celery.signals import (
    task_received,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from ingest_core.broker import broker_transport
from ingest_core.logs import configure_logging
from ingest_core.settings import Settings, get_settings
from ingest_core.tasks import PROCESS_BATCH, QUEUE


def create_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery(
        "ingest_worker",
        broker=settings.celery_broker_url,
        include=["ingest_worker.tasks", "ingest_worker.exports"],
    )
    app.conf.update(
        broker_transport=broker_transport(settings.celery_broker_url),
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        # The warm-up (models, parser tables) runs before a new process reports itself up.
        worker_proc_alive_timeout=settings.worker_start_timeout,
        worker_max_tasks_per_child=2000,  # bounds slow leaks in parsers
        worker_max_memory_per_child=1_000_000,  # KiB: a runaway parser restarts its process
        task_soft_time_limit=settings.task_soft_time_limit,  # per message: scaled by batch size
        task_time_limit=settings.task_time_limit,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Unacked tasks of a dead worker come back after this. Recovery does not wait for
            # it (the watchdog resends on the lease); it only has to outlast long batches.
            "visibility_timeout": 3600,
        },
        worker_hijack_root_logger=False,
    )
    return app


app = create_celery()


@worker_init.connect
def _warm_shared(**_: Any) -> None:
    """Models and parser tables in the main process, before the pool forks: every pool
    process, and each one that replaces it, inherits them instead of building its own."""
    from ingest_worker.pipeline import warm_up

    warm_up()
    gc.freeze()  # the inherited objects stay untouched by the children's collections


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    """Connections and models are per process: build them after the fork, before any task."""
    settings = get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    from ingest_worker.tasks import runtime

    runtime().warm_up()


_watchdog: list[Any] = []


@worker_process_shutdown.connect
def _pool_process_gone(pid: int | None = None, **_: Any) -> None:
    from ingest_worker import metrics

    if pid is not None:
        metrics.process_exited(pid)


@worker_ready.connect
def _start_watchdog(sender: Any = None, **_: Any) -> None:
    """The main process looks for orphaned batches and serves the metrics of all processes;
    the pool children process batches."""
    from ingest_worker import metrics
    from ingest_worker.watchdog import Watchdog

    settings = get_settings()
    if settings.worker_metrics_port:
        try:
            metrics.serve(settings.worker_metrics_port, settings.worker_metrics_host)
        except OSError as exc:  # a busy port must not stop the worker
            structlog.get_logger("ingest_worker").warning("metrics.unavailable", error=str(exc))
    watchdog = Watchdog.from_settings(settings, app)
    watchdog.start()
    _watchdog.append(watchdog)


@task_received.connect
def _lease_on_receipt(request: Any = None, **_: Any) -> None:
    """A batch this process holds is leased at once, so if the whole worker dies before a
    pool process claims it, the watchdog sends it again after the lease, not the sent timeout."""
    if request is None or request.name != PROCESS_BATCH or not _watchdog:
        return
    try:
        batch_id = request.args[0]["batch_id"]
        jobs = _watchdog[0].jobs
        jobs.renew_lease(batch_id, time.time() + get_settings().batch_lease_seconds)
    except Exception:  # never refuse a task over this: the sent timeout still covers it
        return


@worker_shutdown.connect
def _stop_watchdog(**_: Any) -> None:
    for watchdog in _watchdog:
        watchdog.stop()


def main() -> None:
    """``ingest-worker``: a worker consuming the ingest queue with the configured concurrency."""
    argv = ["worker", "--loglevel=INFO", "-Q", QUEUE, *sys.argv[1:]]
    app.worker_main(argv)
