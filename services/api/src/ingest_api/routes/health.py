"""Liveness, readiness (Redis and the bucket) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ingest_api.deps import MetricsAuthorized, ServicesDep
from ingest_api.errors import ERROR_RESPONSES
from ingest_api.examples import METRICS, json_example

router = APIRouter(tags=["health"])

CHECK_DEADLINE = 1.5
"""Seconds each readiness check may take; both run at once, so /readyz answers within ~2 s."""


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health, responses={200: json_example({"status": "ok"})})
async def healthz() -> Health:
    """Liveness: the process answers. Checks nothing else (see `/readyz`)."""
    return Health(status="ok")


# Load balancers probe with HEAD; one documented operation is enough.
router.add_api_route("/healthz", healthz, methods=["HEAD"], response_model=Health, include_in_schema=False)


@router.get(
    "/readyz",
    response_model=Health,
    responses={
        200: json_example({"status": "ok", "checks": {"redis": "ok", "storage": "ok"}}),
        503: {
            "model": Health,
            "description": "Redis or storage down (see Retry-After)",
            **json_example(
                {"status": "unavailable", "checks": {"redis": "ok", "storage": "unavailable: timeout"}}
            ),
        },
    },
)
async def readyz(services: ServicesDep) -> Any:
    """Redis and the bucket, checked at once, each within ``CHECK_DEADLINE``; 503 names what is down."""

    def check_redis() -> None:
        services.redis.ping()

    names = ("redis", "storage")
    results = await asyncio.gather(_probe(check_redis), _probe(services.reads.check))
    checks = dict(zip(names, results, strict=True))
    ok = all(value == "ok" for value in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    if ok:
        return body
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})


async def _probe(check: Callable[[], None]) -> str:
    """`ok`, or why not. A check still blocked at the deadline is left to finish in its thread
    (the clients' own timeouts end it) while the probe answers."""
    try:
        with anyio.fail_after(CHECK_DEADLINE):
            await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
    except TimeoutError:
        return f"unavailable: no answer within {CHECK_DEADLINE:g}s"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[MetricsAuthorized],
    responses={
        200: json_example(METRICS, "text/plain"),
        **{code: ERROR_RESPONSES[code] for code in (401, 403)},
    },
)
async def metrics() -> Response:
    """Prometheus metrics; with ``INGEST_METRICS_REQUIRE_KEY=true``, any tenant's API key."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
