"""Workers expose Prometheus metrics of all their processes on a port of their own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingest_devstack.servers import Worker

pytestmark = pytest.mark.integration


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else r"(?:\{\})?") + r" ([0-9.e+-]+)"
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


def test_the_worker_counts_documents_batches_and_stage_latencies_of_its_pool_processes(
    api: httpx.Client, worker: Worker, collection: str, wait_job: Callable[..., dict[str, Any]]
) -> None:
    url = f"http://127.0.0.1:{worker.metrics_port}/metrics"
    before = httpx.get(url, timeout=10).text
    files = [("files", (f"{i}.txt", f"Short note {i}.".encode() * 40, "text/plain")) for i in range(3)]
    files.append(("files", ("empty.txt", b"", "text/plain")))
    wait_job(api, api.post("/v1/documents", files=files, data={"collection": collection}).json()["id"])
    after = httpx.get(url, timeout=10).text
    finished = sum(
        _value(after, "ingest_worker_documents_total", f'status="{s}"')
        - _value(before, "ingest_worker_documents_total", f'status="{s}"')
        for s in ("stored", "duplicate", "rejected", "failed")
    )
    assert finished >= 4
    assert _value(after, "ingest_worker_batch_documents_count") > _value(
        before, "ingest_worker_batch_documents_count"
    )
    assert 'ingest_worker_stage_seconds_bucket{le="0.01",stage="detect"}' in after
    assert "ingest_queue_depth" in after
