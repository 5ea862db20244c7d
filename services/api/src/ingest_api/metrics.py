"""Prometheus metrics of the API process."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("ingest_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ingest_http_request_seconds", "HTTP request latency", ["method", "route"])
UPLOAD_BYTES = Counter("ingest_upload_bytes_total", "Bytes received in uploads")
DOCUMENTS_ACCEPTED = Counter("ingest_documents_enqueued_total", "Documents sent to workers")


class RequestMetrics:
    """Counts every HTTP request by route and status, and times it to its first response byte.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    starts a task group and body streams for each request, which cost more CPU than a small
    upload's own work. The route is the matched one (the router writes it into the scope).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        def record(status: int) -> None:
            name = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], name, str(status)).inc()
            LATENCY.labels(scope["method"], name).observe(time.perf_counter() - started)

        async def counting_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if not answered:  # the app raised before answering: the server answers 500
                record(500)
