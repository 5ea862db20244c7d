"""Job status: plain, long-polled (?wait=N) or streamed as Server-Sent Events; cancellation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ingest_api.deps import Authorized, JobsDep, ServicesDep, SettingsDep
from ingest_api.errors import ERROR_RESPONSES
from ingest_core.errors import NotFound
from ingest_core.jobs import JobStore, write_job_summary
from ingest_core.schema import TERMINAL_JOB_STATUSES, JobView

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Authorized])

_POLL_INTERVAL = 0.1


async def _load(jobs: JobStore, job_id: str) -> JobView:
    job = await run_in_threadpool(jobs.get_job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}", details={"job_id": job_id})
    return job


async def _wait_for_change(jobs: JobStore, job_id: str, version: int | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(_POLL_INTERVAL)
        if await run_in_threadpool(jobs.job_version, job_id) != version:
            return


@router.get("/{job_id}", response_model=JobView, responses=ERROR_RESPONSES)
async def get_job(
    job_id: str,
    jobs: JobsDep,
    settings: SettingsDep,
    wait: Annotated[float, Query(ge=0, description="Long-poll up to N seconds for a change")] = 0,
) -> JobView:
    """The job with its counts and each document's outcome."""
    version = await run_in_threadpool(jobs.job_version, job_id)
    job = await _load(jobs, job_id)
    if wait > 0 and job.status not in TERMINAL_JOB_STATUSES:
        await _wait_for_change(jobs, job_id, version, min(wait, settings.long_poll_max_seconds))
        job = await _load(jobs, job_id)
    return job


@router.get(
    "/{job_id}/events",
    responses={200: {"content": {"text/event-stream": {}}}, **ERROR_RESPONSES},
    response_class=StreamingResponse,
)
async def job_events(job_id: str, jobs: JobsDep) -> StreamingResponse:
    """Server-Sent Events: one ``job`` event per change, the last when the job is finished."""
    await _load(jobs, job_id)

    async def stream() -> AsyncIterator[str]:
        last_version: int | None = -1
        idle_since = time.monotonic()
        while True:
            version = await run_in_threadpool(jobs.job_version, job_id)
            if version != last_version:
                job = await _load(jobs, job_id)
                last_version, idle_since = version, time.monotonic()
                yield f"event: job\nid: {version}\ndata: {json.dumps(job.model_dump(mode='json'))}\n\n"
                if job.status in TERMINAL_JOB_STATUSES:
                    return
            elif time.monotonic() - idle_since > 15:
                idle_since = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.2)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.delete("/{job_id}", response_model=JobView, responses=ERROR_RESPONSES)
async def cancel_job(job_id: str, services: ServicesDep) -> JobView:
    """Cancels documents no worker has started; finished jobs are returned unchanged."""
    job = await run_in_threadpool(services.jobs.cancel, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}", details={"job_id": job_id})
    if job.status in TERMINAL_JOB_STATUSES and job.counts.queued + job.counts.processing == 0:
        await run_in_threadpool(write_job_summary, services.jobs, services.store, job_id)
    return job
