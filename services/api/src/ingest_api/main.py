"""App factory: settings → clients → routers. ``uvicorn ingest_api.main:create_app --factory``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import uvicorn
from celery import Celery
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from ingest_api.changes import JobChanges
from ingest_api.deps import Services
from ingest_api.docs import install_docs
from ingest_api.errors import install_error_handlers
from ingest_api.limits import BodySizeLimit, RateLimiter
from ingest_api.metrics import RequestMetrics
from ingest_api.routes import documents, exports, health, jobs, records, webhooks
from ingest_core import __version__
from ingest_core.broker import broker_transport
from ingest_core.jobs import JobStore
from ingest_core.logs import configure_logging
from ingest_core.settings import Settings, get_settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import QUEUE
from ingest_core.tenants import Tenants


def make_celery_client(settings: Settings) -> Celery:
    """A producer-only Celery app: the API sends tasks by name and never imports the worker."""
    app = Celery("ingest_api", broker=settings.celery_broker_url)
    app.conf.update(
        broker_transport=broker_transport(settings.celery_broker_url),
        task_default_queue=QUEUE,
        task_serializer="json",
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
    )
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Timeouts so a stopped Redis gives 503s, not threads blocked forever on a socket.
        client = redis.Redis.from_url(
            settings.redis_url, health_check_interval=30, socket_connect_timeout=2, socket_timeout=5
        )
        store = ObjectStore.from_settings(settings)
        if settings.s3_create_bucket:
            with contextlib.suppress(Exception):  # readiness reports it; the API still starts
                store.ensure_bucket()
        jobs = JobStore(client)
        changes = JobChanges(settings.redis_url, jobs.channel)
        changes.start()
        tenants = Tenants.from_settings(settings)
        broker: redis.Redis[bytes] | None = None
        if settings.max_queue_depth is not None:
            broker = client
            if settings.celery_broker_url != settings.redis_url:
                broker = redis.Redis.from_url(
                    settings.celery_broker_url, socket_connect_timeout=2, socket_timeout=5
                )
        app.state.services = Services(
            settings=settings,
            redis=client,
            jobs=jobs,
            store=store,
            celery=make_celery_client(settings),
            changes=changes,
            reads=ObjectStore.from_settings(settings, interactive=True),
            tenants=tenants,
            limiter=RateLimiter(client, jobs.keys) if tenants.limited else None,
            broker=broker,
        )
        # Every route runs its blocking calls in anyio's worker threads: importing that backend
        # and starting the first thread cost the first request 0.1-0.3 s. Pay it before serving.
        await run_in_threadpool(lambda: None)
        yield
        await changes.stop()
        if broker is not None and broker is not client:
            broker.close()
        client.close()

    app = FastAPI(
        title="Ingest API",
        version=__version__,
        description="Upload news articles; poll jobs; read normalised records.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(RequestMetrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    for module in (documents, jobs, exports, records, webhooks, health):
        app.include_router(module.router)
    install_docs(app)
    return app


def main() -> None:
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)
