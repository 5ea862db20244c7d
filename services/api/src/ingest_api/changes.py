"""Wakes long-polls and event streams the moment a job changes.

Workers publish a job's id on one Redis channel whenever its state moves; one subscriber per
API process sets the events of whoever waits on that job. A missed message (a reconnect) costs
at most one fallback interval, since waiters re-check the job's version anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import redis.asyncio as aioredis
import structlog

log = structlog.get_logger("ingest_api.changes")

FALLBACK_SECONDS = 1.0


class Watch:
    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    async def changed(self, timeout: float) -> bool:
        """Returns when the job may have changed since the last call (True), or after
        ``timeout``, at most the fallback interval (False: the caller re-checks anyway)."""
        woken = True
        try:
            await asyncio.wait_for(self._event.wait(), min(timeout, FALLBACK_SECONDS))
        except TimeoutError:
            woken = False
        self._event.clear()
        return woken


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

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[Watch]:
        """Listens for the job's changes from now on: enter before reading its state, so a
        change between the read and the wait is not missed."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, set()).add(event)
        try:
            yield Watch(event)
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[job_id]

    def notify(self, job_id: str) -> None:
        """Wakes everyone watching the job (called for each message on the channel)."""
        for event in self._waiters.get(job_id, ()):
            event.set()

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
                        self.notify(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: waiters fall back to polling meanwhile
                log.warning("changes.reconnect", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(FALLBACK_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()  # type: ignore[attr-defined]
