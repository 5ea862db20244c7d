"""Dependencies: settings, clients and auth, built once per app and handed to routes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

import redis
from celery import Celery
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ingest_api.changes import JobChanges
from ingest_core.errors import Forbidden, Unauthorized
from ingest_core.jobs import JobStore
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore


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


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


def get_jobs(services: Annotated[Services, Depends(get_services)]) -> JobStore:
    return services.jobs


def get_store(services: Annotated[Services, Depends(get_services)]) -> ObjectStore:
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


def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Bearer token or X-API-Key; open when no keys are configured (local default)."""
    if not settings.api_keys:
        return
    token = bearer.credentials.strip() if bearer is not None else x_api_key
    if not token:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    # As bytes: compare_digest refuses non-ASCII str, and a header may carry any latin-1 text.
    given = token.encode()
    if not any(hmac.compare_digest(given, key.encode()) for key in settings.api_keys):
        raise Forbidden("this API key is not accepted")


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[JobStore, Depends(get_jobs)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
Authorized = Depends(require_api_key)
