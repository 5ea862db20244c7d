"""Dependencies: settings, clients and auth, built once per app and handed to routes.

They are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in its threadpool,
a thread hop per dependency per request (about a sixth of the API's CPU on small uploads).
None of them blocks; the one that may (a key's rate in Redis) hops to a thread itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import redis
from celery import Celery
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ingest_api.changes import JobChanges
from ingest_api.limits import RateLimiter
from ingest_core.errors import Forbidden, NotFound, Unauthorized
from ingest_core.jobs import JobStore
from ingest_core.keys import collection_owner, tenant_collection
from ingest_core.schema import ExportView, JobView
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tenants import OPEN, Principal, Tenants

Broker = redis.Redis  # the broker's Redis, by another name: a field of Services is named redis


@dataclass
class Services:
    """What the routes talk to; created in the app's lifespan."""

    settings: Settings
    redis: redis.Redis[bytes]
    jobs: JobStore
    store: ObjectStore  # patient client: uploads and summaries
    celery: Celery
    changes: JobChanges
    reads: ObjectStore  # interactive client: record reads and readiness fail fast when S3 is down
    tenants: Tenants = field(default_factory=lambda: Tenants([]))
    limiter: RateLimiter | None = None  # None: no key has a rate
    broker: Broker[bytes] | None = None  # for the queue's depth; None: no bound


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


async def get_jobs(services: Annotated[Services, Depends(get_services)]) -> JobStore:
    return services.jobs


async def get_store(services: Annotated[Services, Depends(get_services)]) -> ObjectStore:
    return services.store


# Declared as OpenAPI security schemes (either one will do), so /docs has an Authorize button.
# auto_error=False: the decision (open, 401 or 403) stays in require_api_key.
bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    description="An API key sent as `Authorization: Bearer <key>`.",
    auto_error=False,
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKeyHeader",
    description="An API key in the `X-API-Key` header.",
    auto_error=False,
)


def _token(bearer: HTTPAuthorizationCredentials | None, x_api_key: str | None) -> str | None:
    return bearer.credentials.strip() if bearer is not None else x_api_key


def authenticate(tenants: Tenants, token: str | None) -> Principal:
    """The principal of a request's key: 401 without one, 403 for a key nobody holds."""
    if tenants.open:
        return OPEN
    if not token:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    principal = tenants.authenticate(token)
    if principal is None:
        raise Forbidden("this API key is not accepted")
    return principal


async def require_api_key(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Bearer token or X-API-Key → the tenant it acts for, within its key's request rate.

    Open (the default tenant, no limits) when no keys are configured (local default).
    """
    principal = authenticate(services.tenants, _token(bearer, x_api_key))
    if services.limiter is not None and principal.requests_per_minute is not None:
        await run_in_threadpool(services.limiter.check_request, principal)  # a Redis round trip
    request.state.principal = principal  # for get_scope
    return principal


async def require_metrics_key(request: Request, services: Annotated[Services, Depends(get_services)]) -> None:
    """/metrics takes any tenant's key when ``metrics_require_key`` is set (not declared in
    OpenAPI: it is for the scraper, which is configured, not discovered)."""
    if not services.settings.metrics_require_key:
        return
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key")
    authenticate(services.tenants, token)


class TenantScope:
    """What one principal may see: its own tenant's collections, those its key allows.

    Routes take public collection names (the tenant's own) and get internal ones (storage,
    dedup and feed names); anything of another tenant is NotFound, as if it did not exist.
    """

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def internal(self, collection: str) -> str:
        """The internal name of one of this tenant's collections; 403 when the key may not use it."""
        self.check_allowed(collection)
        return tenant_collection(self.principal.tenant, collection)

    def check_allowed(self, collection: str) -> None:
        if not self.principal.may_use(collection):
            raise Forbidden(
                f"this API key may not use collection {collection!r}", details={"collection": collection}
            )

    def public(self, internal: str, not_found: NotFound) -> str:
        """The tenant's own name of an internal collection; ``not_found`` for another tenant's,
        403 for one of its own that the key may not use."""
        tenant, collection = collection_owner(internal)
        if tenant != self.principal.tenant:
            raise not_found
        self.check_allowed(collection)
        return collection

    def own_export(self, export: ExportView) -> ExportView:
        """The export as this tenant sees it; 404 for another tenant's."""
        missing = NotFound(f"no export {export.id}", details={"export_id": export.id})
        return export.model_copy(update={"collection": self.public(export.collection, missing)})

    def own_job(self, job: JobView) -> JobView:
        """The job as this tenant sees it (its own collection name); 404 for another's."""
        missing = NotFound(f"no job {job.id}", details={"job_id": job.id})
        return job.model_copy(update={"collection": self.public(job.collection, missing)})


async def get_scope(request: Request) -> TenantScope:
    """The scope of the principal ``require_api_key`` authenticated for this request.

    Every router that hands out a scope declares ``Authorized`` for all its routes, and FastAPI
    solves a router's dependencies before a route's; reading the principal it left on the
    request, instead of depending on it again, spares FastAPI solving the whole auth subtree
    (both key schemes, the services) a second time on every request (a test checks the order).
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route that takes a scope without Authorized: a bug, not a client error
        raise RuntimeError("get_scope needs Authorized among the router's dependencies")
    return TenantScope(principal)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[JobStore, Depends(get_jobs)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
Authorized = Depends(require_api_key)
ScopeDep = Annotated[TenantScope, Depends(get_scope)]
MetricsAuthorized = Depends(require_metrics_key)
