"""Wakes long-polls and event streams the moment a job changes.

Workers publish a job's id on one Redis channel whenever its state moves; one subscriber per
API process sets the events of whoever waits on that job. A missed message (a reconnect) costs
at most one fallback interval, since waiters re-check the job's version anyway.
"""

from __future__ import annotations

import asyncio
import contextlib

import redis.asyncio as aioredis
import structlog

log = structlog.get_logger("ingest_api.changes")

FALLBACK_SECONDS = 1.0


class JobChanges:
    def __init__(self, redis_url: str, channel: str) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def wait(self, job_id: str, timeout: float) -> None:
        """Returns when the job may have changed, or after ``timeout`` (at most the fallback)."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(timeout, FALLBACK_SECONDS))
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[job_id]

    async def _listen(self) -> None:
        while True:
            client = aioredis.Redis.from_url(self.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = message["data"]
                        job_id = data.decode() if isinstance(data, bytes) else str(data)
                        for event in self._waiters.get(job_id, ()):
                            event.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: waiters fall back to polling meanwhile
                log.warning("changes.reconnect", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(FALLBACK_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()  # type: ignore[attr-defined]
