"""Exports: ask for one, follow it, download its files.

``POST /v1/exports`` registers the export and sends the ``ingest.export`` task by name; a
worker writes the parts to the bucket. ``GET /v1/exports/{id}/files/{n}`` streams part n
through the API, so a client needs no storage credentials and no presigned URL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ingest_api.deps import Authorized, ScopeDep, ServicesDep, TenantScope
from ingest_api.errors import error_responses
from ingest_api.examples import EXPORT, EXPORT_REQUEST, json_example
from ingest_core.errors import BadRequest, Conflict, NotFound
from ingest_core.exports import ExportStore
from ingest_core.ids import is_id
from ingest_core.keys import valid_collection
from ingest_core.schema import ExportRequest, ExportStatus, ExportView
from ingest_core.tasks import ExportMessage, send_export

router = APIRouter(prefix="/v1/exports", tags=["exports"], dependencies=[Authorized])

_MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "gz": "application/gzip"}


def _exports(services: ServicesDep) -> ExportStore:
    return ExportStore(services.redis, services.jobs.keys)


async def _load(services: ServicesDep, scope: TenantScope, export_id: str) -> ExportView:
    """The export as the caller's tenant sees it; another tenant's answers 404."""
    view = await run_in_threadpool(_exports(services).get, export_id) if is_id(export_id) else None
    if view is None:
        raise NotFound(f"no export {export_id}", details={"export_id": export_id})
    return scope.own_export(view)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportView,
    responses={
        202: json_example({**EXPORT, "status": "queued", "rows": 0, "keys": []}),
        **error_responses(400, 422),
    },
)
async def create_export(
    body: Annotated[
        ExportRequest,
        Body(openapi_examples={"one_day": {"summary": "One day as Parquet", "value": EXPORT_REQUEST}}),
    ],
    services: ServicesDep,
    scope: ScopeDep,
    response: Response,
) -> ExportView:
    """Exports the collection's records ingested in [since, until) (all when both are absent)."""
    if not valid_collection(body.collection):
        raise BadRequest("invalid collection name", details={"collection": body.collection})
    internal = scope.internal(body.collection)
    since, until = body.since, body.until  # UTC already (``UtcInstant``)
    if since is not None and until is not None and since >= until:
        raise BadRequest("`since` must be before `until`", details={"since": str(since), "until": str(until)})
    view = await run_in_threadpool(_exports(services).create, internal, body.format, since=since, until=until)
    message = ExportMessage(
        export_id=view.id, collection=internal, format=body.format, since=since, until=until
    )
    await run_in_threadpool(send_export, services.celery, message, services.settings)
    response.headers["Location"] = f"/v1/exports/{view.id}"
    return scope.own_export(view)


@router.get(
    "/{export_id}", response_model=ExportView, responses={200: json_example(EXPORT), **error_responses(404)}
)
async def get_export(export_id: str, services: ServicesDep, scope: ScopeDep) -> ExportView:
    """The export's status and, once it succeeded, the object keys it wrote."""
    return await _load(services, scope, export_id)


@router.get(
    "/{export_id}/files/{n}",
    responses={
        200: json_example("PAR1…(the Parquet or jsonl.gz file as written)", "application/octet-stream"),
        **error_responses(404, 409, 422),
    },
    response_class=StreamingResponse,
)
async def download_export_file(
    export_id: str,
    n: Annotated[int, Path(ge=0, description="Index in `keys`")],
    services: ServicesDep,
    scope: ScopeDep,
) -> StreamingResponse:
    """Part n of a succeeded export, as written (Parquet or gzipped JSON Lines)."""
    view = await _load(services, scope, export_id)
    if view.status != ExportStatus.succeeded:
        raise Conflict(
            f"export {export_id} is {view.status.value}; its files are ready once it succeeded",
            details={"export_id": export_id, "status": view.status.value},
        )
    if n >= len(view.keys):
        raise NotFound(f"export {export_id} has {len(view.keys)} files", details={"n": n})
    name = view.keys[n].rsplit("/", 1)[-1]
    try:
        chunks, length = await run_in_threadpool(services.store.open, view.keys[n])
    except NotFound:
        raise NotFound(f"file {n} of export {export_id} is gone from storage", details={"n": n}) from None
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if length is not None:
        headers["Content-Length"] = str(length)
    media_type = _MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
