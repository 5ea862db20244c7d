"""Job status: plain, long-polled (?wait=N) or streamed as Server-Sent Events; cancellation.

A job's answer holds its counts and one page of its documents; ``next_cursor`` leads to the
next page, so a job of any size answers quickly. Waiting wakes on the change itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from ingest_api.deps import Authorized, ScopeDep, ServicesDep, TenantScope
from ingest_api.errors import error_responses
from ingest_api.examples import JOB, JOB_EVENTS, JOB_LIST, json_example
from ingest_core.dates import UtcInstant
from ingest_core.errors import BadRequest, NotFound
from ingest_core.ids import is_id
from ingest_core.joblist import Cursor, list_jobs
from ingest_core.jobs import write_job_summary
from ingest_core.keys import collection_owner, job_summary_key
from ingest_core.schema import TERMINAL_JOB_STATUSES, DocStatus, JobList, JobStatus, JobView

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Authorized])

_KEEP_ALIVE_SECONDS = 15.0


def _no_job(job_id: str) -> NotFound:
    return NotFound(f"no job {job_id}", details={"job_id": job_id})


def _archived(services: ServicesDep, job_id: str) -> JobView | None:
    """A job whose Redis state has expired, from its summary in the bucket."""
    try:
        return JobView.model_validate_json(services.reads.get(job_summary_key(job_id)))
    except (NotFound, ValidationError):
        return None


#: Beyond any job's length and within what Redis takes as a list index (a signed 64-bit integer).
_MAX_POSITION = 2**62


def _is_position(cursor: str) -> bool:
    """Whether ``cursor`` can be a ``next_cursor``: ASCII digits (``str.isdigit`` also takes "²",
    which ``int`` refuses) of a number Redis accepts as a list index."""
    return cursor.isascii() and cursor.isdigit() and int(cursor) <= _MAX_POSITION


def _read(
    services: ServicesDep,
    scope: TenantScope,
    job_id: str,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    status: DocStatus | None = None,
    documents: bool = True,
) -> tuple[JobView, int | None]:
    """The job as its tenant sees it, with its version (None once only its summary is left);
    404 for another tenant's, as if it did not exist. Blocking: one thread hop per read.
    ``documents=False`` reads the counts alone (a long-poll's check of a large job)."""
    if not is_id(job_id):  # no job has it, and it may be no valid key either ("\x00")
        raise _no_job(job_id)
    if cursor is not None and not _is_position(cursor):
        raise BadRequest("cursor must be a value of next_cursor", details={"cursor": cursor})
    size = limit or services.settings.job_page_size
    found = services.jobs.get_versioned_job(
        job_id, limit=size, cursor=cursor, status=status, with_documents=documents
    )
    job, version = found if found else (None, None)
    if job is None and cursor is None and status is None:
        job = _archived(services, job_id)
    if job is None:
        raise _no_job(job_id)
    return scope.own_job(job), version


@router.get("", response_model=JobList, responses={200: json_example(JOB_LIST), **error_responses(400, 422)})
async def list_all_jobs(  # noqa: PLR0917 (query parameters)
    services: ServicesDep,
    scope: ScopeDep,
    collection: Annotated[
        str | None, Query(max_length=64, description="Only jobs of this collection")
    ] = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state")] = None,
    created_after: Annotated[UtcInstant | None, Query(description="Only jobs created after this")] = None,
    created_before: Annotated[UtcInstant | None, Query(description="Only jobs created before this")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Jobs per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=80, description="`next` of the page before")] = None,
) -> JobList:
    """Jobs newest first, without their documents; ``next`` leads to older ones. Jobs whose
    Redis state has expired (see ``INGEST_JOB_RETENTION_SECONDS``) are no longer listed."""
    if cursor is not None:
        try:
            Cursor.decode(cursor)
        except ValueError:
            raise BadRequest("cursor must be a value of next", details={"cursor": cursor}) from None
    internal = scope.internal(collection) if collection else None
    page = await run_in_threadpool(
        lambda: list_jobs(
            services.jobs,
            tenant=scope.principal.tenant,
            collection=internal,
            status=status,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
            cursor=cursor,
        )
    )
    items = [
        item.model_copy(update={"collection": collection_owner(item.collection)[1]})
        for item in page.items
        if scope.principal.may_use(collection_owner(item.collection)[1])
    ]
    return JobList(items=items, next=page.next)


@router.get(
    "/{job_id}", response_model=JobView, responses={200: json_example(JOB), **error_responses(400, 404, 422)}
)
async def get_job(  # noqa: PLR0917 (query parameters)
    job_id: str,
    services: ServicesDep,
    scope: ScopeDep,
    wait: Annotated[float, Query(ge=0, description="Long-poll up to N seconds for a change")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="Documents per page")] = None,
    cursor: Annotated[
        str | None, Query(max_length=20, description="`next_cursor` of the page before")
    ] = None,
    status: Annotated[DocStatus | None, Query(description="Only documents in this state")] = None,
    until: Annotated[
        Literal["change", "final"],
        Query(description="With `wait`: answer on the job's next change, or only once it is final"),
    ] = "change",
) -> JobView:
    """The job with its counts and one page of its documents' outcomes.

    ``until=final`` spares a client that only wants the outcome a round trip per intermediate
    change (a one-document job changes twice: claimed, then done); while it waits, each change
    is checked on the counts alone and the page of documents is read once, at the end.
    """

    def read(documents: bool = True) -> tuple[JobView, int | None]:
        return _read(services, scope, job_id, limit=limit, cursor=cursor, status=status, documents=documents)

    with services.changes.watch(job_id) as watch:
        job, version = await run_in_threadpool(read)
        if wait > 0 and job.status not in TERMINAL_JOB_STATUSES:
            deadline = time.monotonic() + min(wait, services.settings.long_poll_max_seconds)
            latest, answered = version, False
            while not answered and (remaining := deadline - time.monotonic()) > 0:
                await watch.changed(remaining)
                if until == "final":
                    head, latest = await run_in_threadpool(read, False)
                    answered = head.status in TERMINAL_JOB_STATUSES
                else:
                    job, latest = await run_in_threadpool(read)  # the job and its version in one step
                    answered = latest != version
            if until == "final" and latest != version:
                job, _ = await run_in_threadpool(read)
    return job


@router.get(
    "/{job_id}/events",
    responses={200: json_example(JOB_EVENTS, "text/event-stream"), **error_responses(404)},
    response_class=StreamingResponse,
)
async def job_events(job_id: str, services: ServicesDep, scope: ScopeDep) -> StreamingResponse:
    """Server-Sent Events: one ``job`` event per change, the last when the job is finished."""
    await run_in_threadpool(_read, services, scope, job_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        last_version: int | None = -1
        idle_since = time.monotonic()
        with services.changes.watch(job_id) as watch:
            while True:
                job, version = await run_in_threadpool(_read, services, scope, job_id)
                if version != last_version:
                    last_version, idle_since = version, time.monotonic()
                    yield f"event: job\nid: {version}\ndata: {json.dumps(job.model_dump(mode='json'))}\n\n"
                    if job.status in TERMINAL_JOB_STATUSES:
                        return
                elif time.monotonic() - idle_since > _KEEP_ALIVE_SECONDS:
                    idle_since = time.monotonic()
                    yield ": keep-alive\n\n"
                await watch.changed(_KEEP_ALIVE_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.delete(
    "/{job_id}", response_model=JobView, responses={200: json_example(JOB), **error_responses(404)}
)
async def cancel_job(job_id: str, services: ServicesDep, scope: ScopeDep) -> JobView:
    """Cancels documents no worker has started; finished jobs are returned unchanged."""
    # Whose job it is first: another tenant's is 404 and stays as it is.
    await run_in_threadpool(lambda: _read(services, scope, job_id, limit=1))
    job = await run_in_threadpool(services.jobs.cancel, job_id)
    if job is None:
        raise _no_job(job_id)
    job = scope.own_job(job)
    if job.status in TERMINAL_JOB_STATUSES and job.counts.queued + job.counts.processing == 0:
        await run_in_threadpool(
            write_job_summary, services.jobs, services.store, job_id, services.settings.job_retention_seconds
        )
    return job
