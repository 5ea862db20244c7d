"""Limits, in one place: body size (413), per-key request and document rates (429) and the
broker queue's depth (503).

Rates are token buckets in Redis, one per API key and kind, shared by every API replica: a
bucket holds up to one minute's allowance and refills continuously, so ``Retry-After`` is the
time until enough tokens are back. One Lua script reads the server's clock, refills, takes
the cost or refuses, all in one step.
"""

from __future__ import annotations

import json
import math
from typing import Any

import redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest_core.errors import PayloadTooLarge, QueueFull, TooManyRequests
from ingest_core.keys import RedisKeys
from ingest_core.tasks import QUEUE
from ingest_core.tenants import Principal


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "DELETE", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send, declared)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # BodyTooLarge is raised inside the app's receive: it comes back bare or, through an
        # anyio task group in the app (a streaming response), inside an ExceptionGroup;
        # except* takes both.
        # The app's own handlers never see it, so the 413 is always this JSON body.
        try:
            await self.app(scope, limited_receive, tracking_send)
        except* BodyTooLarge:
            if not started:
                await self._refuse(send, received)

    async def _refuse(self, send: Send, size: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"request body exceeds the limit of {self.max_bytes} bytes",
                    "details": {"limit_bytes": self.max_bytes, "received_or_declared": size},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


# KEYS: bucket.  ARGV: capacity (tokens), refill (tokens per second), cost.
# Returns {1, ''} when the cost was taken, {0, seconds to wait} when not, {0, '-1'} when the
# cost exceeds the capacity (it never fits).
_TAKE = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if cost > cap then return {0, '-1'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or cap
local at = tonumber(state[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
if tokens < cost then return {0, tostring((cost - tokens) / rate)} end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate * 1000) + 1000)
return {1, ''}
"""


class RateLimiter:
    """Per-key token buckets: ``requests_per_minute`` and ``documents_per_minute``."""

    def __init__(self, client: redis.Redis[bytes], keys: RedisKeys | None = None) -> None:
        self.redis = client
        self.keys = keys or RedisKeys()
        self._take = client.register_script(_TAKE)

    def wait_seconds(self, bucket: str, per_minute: int, cost: int = 1) -> float | None:
        """None when ``cost`` tokens were taken; else seconds until they would be there
        (``math.inf`` when the cost exceeds a whole minute's allowance)."""
        res: Any = self._take(keys=[bucket], args=[per_minute, per_minute / 60.0, cost])
        if int(res[0]) == 1:
            return None
        wait = float(res[1].decode() if isinstance(res[1], bytes) else res[1])
        return math.inf if wait < 0 else wait

    def check_request(self, principal: Principal) -> None:
        """One request of this key; raises TooManyRequests over its rate."""
        if principal.requests_per_minute is None or principal.key_id is None:
            return
        bucket = self.keys.rate("requests", principal.key_id)
        wait = self.wait_seconds(bucket, principal.requests_per_minute)
        if wait is not None:
            raise TooManyRequests(
                f"this API key is limited to {principal.requests_per_minute} requests per minute",
                details={"limit": principal.requests_per_minute, "per": "minute", "kind": "requests"},
                retry_after=_retry_after(wait),
            )

    def check_documents(self, principal: Principal, count: int) -> None:
        """``count`` documents of one upload; raises TooManyRequests (or PayloadTooLarge when
        the upload alone holds more than a minute's allowance) over the key's document rate."""
        limit = principal.documents_per_minute
        if limit is None or principal.key_id is None or count <= 0:
            return
        wait = self.wait_seconds(self.keys.rate("documents", principal.key_id), limit, count)
        if wait is None:
            return
        details = {"limit": limit, "per": "minute", "kind": "documents", "requested": count}
        if math.isinf(wait):
            raise PayloadTooLarge(
                f"the upload holds {count} documents, more than this API key may send in a minute "
                f"({limit}): split it",
                details=details,
            )
        raise TooManyRequests(
            f"this API key is limited to {limit} documents per minute",
            details=details,
            retry_after=_retry_after(wait),
        )


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def check_queue_depth(broker: redis.Redis[bytes], max_depth: int | None, retry_after: int) -> None:
    """Raises QueueFull while the broker's queue holds more than ``max_depth`` batches."""
    if max_depth is None:
        return
    depth = int(broker.llen(QUEUE))
    if depth > max_depth:
        raise QueueFull(
            "the processing queue is full: try again later",
            details=None,  # the depth is everyone's load: not for a tenant to see
            retry_after=retry_after,
        )
