"""Webhook subscriptions and their delivery log, per tenant.

The API registers subscriptions and reads the log; workers send the deliveries (never this
request path). A URL is checked here (resolved; loopback, private and other non-public
addresses refused unless ``INGEST_WEBHOOK_ALLOWED_NETWORKS`` allows them) and again by the
worker at each delivery.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from ingest_api.deps import Authorized, ScopeDep, ServicesDep, TenantScope
from ingest_api.errors import error_responses
from ingest_api.examples import (
    DELIVERIES,
    WEBHOOK,
    WEBHOOK_CREATED,
    WEBHOOK_LIST,
    WEBHOOK_REQUEST,
    json_example,
)
from ingest_core.errors import BadRequest, Conflict, NotFound
from ingest_core.ids import is_id
from ingest_core.keys import collection_owner, valid_collection
from ingest_core.schema import DeliveryList, WebhookCreated, WebhookList, WebhookRequest, WebhookView
from ingest_core.settings import Settings
from ingest_core.webhooks import RefusedDestination, Subscription, WebhookStore, check_destination

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=[Authorized])


def _store(services: ServicesDep) -> WebhookStore:
    return WebhookStore(services.redis, services.jobs.keys)


def check_webhook_url(url: str, settings: Settings, field: str = "url") -> None:
    """400 with the reason when webhooks may not go to ``url`` (resolves its host: blocking)."""
    try:
        check_destination(url, settings.webhook_allowed_networks)
    except RefusedDestination as exc:
        raise BadRequest(
            f"{field} is not accepted: {exc}", details={field: url, "reason": str(exc)}
        ) from None


def _view(subscription: Subscription, scope: TenantScope) -> WebhookView:
    missing = NotFound(f"no webhook {subscription.id}", details={"webhook_id": subscription.id})
    return WebhookView(
        id=subscription.id,
        url=subscription.url,
        events=list(subscription.events),
        collection=scope.public(subscription.collection, missing),
        created_at=subscription.created_at,
    )


async def _load(
    services: ServicesDep, scope: TenantScope, webhook_id: str
) -> tuple[Subscription, WebhookView]:
    """The subscription, if it is the caller's tenant's; else 404 as if it did not exist."""
    found = await run_in_threadpool(_store(services).get, webhook_id) if is_id(webhook_id) else None
    if found is None or found.tenant != scope.principal.tenant:
        raise NotFound(f"no webhook {webhook_id}", details={"webhook_id": webhook_id})
    return found, _view(found, scope)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses={201: json_example(WEBHOOK_CREATED), **error_responses(400, 409, 422)},
)
async def create_webhook(
    body: Annotated[
        WebhookRequest,
        Body(openapi_examples={"both_events": {"summary": "Jobs and records", "value": WEBHOOK_REQUEST}}),
    ],
    services: ServicesDep,
    scope: ScopeDep,
    response: Response,
) -> WebhookCreated:
    """Subscribes a URL to a collection's events; the answer holds the signing secret, once."""
    collection = body.collection or services.settings.default_collection
    if not valid_collection(collection):
        raise BadRequest("invalid collection name", details={"collection": collection})
    internal = scope.internal(collection)
    await run_in_threadpool(check_webhook_url, body.url, services.settings)
    store = _store(services)
    tenant = scope.principal.tenant
    limit = services.settings.webhook_max_per_tenant
    if await run_in_threadpool(store.count, tenant) >= limit:
        raise Conflict(
            f"this tenant has {limit} webhooks already; delete one first", details={"limit": limit}
        )
    subscription, secret = await run_in_threadpool(store.create, tenant, internal, body.url, body.events)
    response.headers["Location"] = f"/v1/webhooks/{subscription.id}"
    return WebhookCreated(**_view(subscription, scope).model_dump(), secret=secret)


@router.get("", response_model=WebhookList, responses={200: json_example(WEBHOOK_LIST), **error_responses()})
async def list_webhooks(services: ServicesDep, scope: ScopeDep) -> WebhookList:
    """The tenant's webhooks (of the collections this key may use), oldest first."""
    found = await run_in_threadpool(_store(services).of_tenant, scope.principal.tenant)
    visible = [s for s in found if scope.principal.may_use(collection_owner(s.collection)[1])]
    return WebhookList(items=[_view(s, scope) for s in visible])


@router.get(
    "/{webhook_id}",
    response_model=WebhookView,
    responses={200: json_example(WEBHOOK), **error_responses(404)},
)
async def get_webhook(webhook_id: str, services: ServicesDep, scope: ScopeDep) -> WebhookView:
    """One webhook of the caller's tenant (its secret is never shown again)."""
    return (await _load(services, scope, webhook_id))[1]


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={204: {"description": "Deleted (no body)"}, **error_responses(404)},
)
async def delete_webhook(webhook_id: str, services: ServicesDep, scope: ScopeDep) -> Response:
    """Deletes the webhook and its log; deliveries not yet sent are cancelled."""
    subscription, _ = await _load(services, scope, webhook_id)
    await run_in_threadpool(_store(services).delete, subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses={200: json_example(DELIVERIES), **error_responses(404, 422)},
)
async def list_deliveries(
    webhook_id: str,
    services: ServicesDep,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Deliveries, newest first")] = 100,
) -> DeliveryList:
    """The delivery log: each event's webhook-id, type, attempts, last status or error."""
    await _load(services, scope, webhook_id)
    return DeliveryList(items=await run_in_threadpool(_store(services).log, webhook_id, limit))
