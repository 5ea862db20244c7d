"""Long-polls wake on a job's change, including one that lands between reading and waiting."""

from __future__ import annotations

import asyncio

from ingest_api.changes import JobChanges


def _watch_after(notified: str, timeout: float) -> bool:
    async def scenario() -> bool:
        changes = JobChanges("redis://127.0.0.1:1/0", "ingest:jobs:changed")
        with changes.watch("job-1") as watch:
            changes.notify(notified)  # lands after the route read the job, before it waits
            return await watch.changed(timeout)

    return asyncio.run(scenario())


def test_a_change_between_reading_the_job_and_waiting_wakes_the_wait() -> None:
    assert _watch_after("job-1", timeout=30) is True


def test_another_jobs_change_does_not_wake_a_watcher() -> None:
    assert _watch_after("job-2", timeout=0.2) is False
