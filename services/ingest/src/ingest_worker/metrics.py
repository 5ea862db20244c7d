"""Prometheus metrics of the workers: the pool processes record, the main process serves.

A Celery worker is several processes, so the metrics use prometheus_client's multiprocess
mode: every process writes its values to files under ``PROMETHEUS_MULTIPROC_DIR`` and the
main process's endpoint (``INGEST_WORKER_METRICS_PORT``) adds them up. The directory must be
set before prometheus_client is imported, so the launchers (``make run``, compose, k8s) set
it, empty, before the worker starts (a fresh emptyDir or tmpfs in containers); without it the
endpoint shows the main process's own metrics only.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # the values' files are opened as the metrics are made
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

DOCUMENTS = Counter("ingest_worker_documents_total", "Documents finished, by final status", ["status"])
STAGE_SECONDS = Histogram(
    "ingest_worker_stage_seconds",
    "Time in each pipeline stage",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
BATCH_DOCUMENTS = Histogram(
    "ingest_worker_batch_documents",
    "Documents a batch delivery processed",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
BATCH_OUTCOMES = Counter("ingest_worker_batches_total", "Batch deliveries, by result", ["result"])
RETRIES = Counter("ingest_worker_retries_total", "Batches backed off after a Redis or S3 outage")
RESENT = Counter("ingest_worker_batches_resent_total", "Batches the watchdog sent again", ["reason"])
PARKED = Counter(
    "ingest_worker_batches_parked_total", "Batches with an unreadable message, kept aside for an operator"
)
QUEUE_DEPTH = Gauge(
    "ingest_queue_depth", "Task messages waiting in the broker queue", multiprocess_mode="mostrecent"
)


def observe_stage(name: str, seconds: float) -> None:
    STAGE_SECONDS.labels(name).observe(seconds)


def process_exited(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def serve(port: int, host: str) -> None:
    """The endpoint of this worker (all its processes), from the main process."""
    registry = None
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if registry is None:
        start_http_server(port, addr=host)
    else:
        start_http_server(port, addr=host, registry=registry)
