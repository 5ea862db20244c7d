"""Prometheus metrics of the API process."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import Counter, Histogram

REQUESTS = Counter("ingest_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ingest_http_request_seconds", "HTTP request latency", ["method", "route"])
UPLOAD_BYTES = Counter("ingest_upload_bytes_total", "Bytes received in uploads")
DOCUMENTS_ACCEPTED = Counter("ingest_documents_enqueued_total", "Documents sent to workers")


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    name = getattr(route, "path", "unmatched")
    REQUESTS.labels(request.method, name, str(response.status_code)).inc()
    LATENCY.labels(request.method, name).observe(time.perf_counter() - started)
    return response
