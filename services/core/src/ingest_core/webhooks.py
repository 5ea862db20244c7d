"""Webhooks: subscriptions, deliveries, Standard Webhooks signatures and the address guard.

A subscription watches one of a tenant's collections for ``job.finished`` and/or
``record.stored``; an upload's ``callback_url`` is a subscription of one job to
``job.finished``. Workers turn events into *deliveries* (one message to one URL, its id the
``webhook-id``, its body fixed when it is made) and send them until a receiver answers 2xx or
``webhook_retry_for_seconds`` has passed. The API only registers subscriptions and reads the
log; it never sends anything.

Signatures follow https://www.standardwebhooks.com: ``webhook-signature: v1,<base64 of
HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`` where the key is the base64 part
of the ``whsec_`` secret. HMAC needs the key itself, so that is what is kept (in Redis, never
shown again after the subscription's answer).

The guard: a URL's host is resolved and *every* address it resolves to must be public unless
an operator-allowed network (``webhook_allowed_networks``) holds it; checked when a
subscription (or a callback) is made and again at each delivery, which then connects to the
address it checked (DNS may change in between).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import redis

from ingest_core.ids import new_id
from ingest_core.keys import RedisKeys
from ingest_core.schema import DeliveryStatus, DeliveryView, WebhookEventType

SECRET_PREFIX = "whsec_"
EVENTS: tuple[WebhookEventType, ...] = ("job.finished", "record.stored")
DELIVERY_LOG_LENGTH = 1000  # newest deliveries kept in a subscription's log
MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Iterable[str]]


# --- signing -------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64 part, decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one attempt: ``v1,<base64 HMAC-SHA256>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of one attempt; the timestamp is the attempt's own (receivers check it is
    recent), the id and body are the event's, the same on every attempt."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
        "content-type": "application/json",
    }


def event_body(event_type: WebhookEventType, data: dict[str, Any], when: datetime | None = None) -> bytes:
    """The JSON body every delivery carries: ``{"type", "timestamp", "data"}``."""
    stamp = (when or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": stamp, "data": data}, ensure_ascii=False).encode()


def delivery_id(*parts: str) -> str:
    """A webhook-id fixed by what the message is (subscription, event, subject): making the same
    delivery twice (two dispatchers, a crash before a cursor moved) makes it once."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"msg_{digest}"


# --- the address guard ---------------------------------------------------------------------


class RefusedDestination(ValueError):
    """A webhook URL that may not be used, with the reason (said to the caller as is)."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (``address``) and what to ask for."""

    url: str
    scheme: str
    host: str  # as written in the URL (for Host and TLS server name)
    port: int
    target: str  # path and query
    address: IPAddress

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{host}:{self.port}{self.target}"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why a webhook may not go to ``ip`` (``"loopback"``, ``"private"``…), or None when it may."""
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_problem(inner, allowed)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not public", not ip.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_destination(
    url: str, allowed: Sequence[IPNetwork] = (), resolve: Resolver = system_resolver
) -> Destination:
    """The URL checked and resolved; RefusedDestination says why it may not be used.

    Every address the host resolves to must pass (a name with one public and one private
    address is refused), so a delivery can connect to any of them.
    """
    if len(url) > MAX_URL_LENGTH:
        raise RefusedDestination(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedDestination(f"the URL is not valid: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise RefusedDestination("only http and https URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise RefusedDestination("credentials in the URL are not accepted")
    host = (parts.hostname or "").split("%", 1)[0]
    if not host:
        raise RefusedDestination("the URL has no host")
    port = port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        found = list(dict.fromkeys(resolve(host, port)))
    except (OSError, UnicodeError) as exc:
        raise RefusedDestination(f"the host {host!r} cannot be resolved ({exc})") from None
    if not found:
        raise RefusedDestination(f"the host {host!r} has no address")
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    for ip in addresses:
        problem = address_problem(ip, allowed)
        if problem is not None:
            raise RefusedDestination(
                f"{host!r} resolves to {ip} ({problem}); webhooks go only to public addresses "
                "unless the operator allows the network (INGEST_WEBHOOK_ALLOWED_NETWORKS)"
            )
    return Destination(url=url, scheme=scheme, host=host, port=port, target=target, address=addresses[0])


# --- subscriptions and deliveries in Redis ---------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    id: str
    tenant: str
    collection: str  # internal name
    url: str
    events: tuple[WebhookEventType, ...]
    secret: str
    created_at: datetime
    cursor: str  # the last record-feed entry fanned out (record.stored)


@dataclass(frozen=True)
class NewDelivery:
    """A message to make: for a subscription (``webhook_id``) or for a job's own callback
    (``url`` and ``secret``, no subscription)."""

    id: str
    type: WebhookEventType
    body: bytes
    webhook_id: str = ""
    url: str = ""
    secret: str = ""


@dataclass(frozen=True)
class Delivery:
    id: str
    type: WebhookEventType
    body: bytes
    webhook_id: str
    url: str
    secret: str
    attempts: int
    created_ts: float


# Makes a delivery unless it exists; logs it under its subscription (the newest kept).
# KEYS: delivery, due, log ('' for none). ARGV: now, id, log length, then field, value pairs.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
if KEYS[3] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[3]) + 1))
end
return 1
"""

# Takes due deliveries for one sender: each is pushed to the end of a lease, so another
# dispatcher takes it only if this one dies. KEYS: due. ARGV: now, lease end, limit.
_TAKE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""

# Moves a feed cursor forward only (two dispatchers may race). KEYS: webhook. ARGV: cursor.
_ADVANCE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'cursor') or '0-0'
local function parse(s)
  local ms, seq = string.match(s, '^(%d+)-(%d+)$')
  return tonumber(ms or 0), tonumber(seq or 0)
end
local a, b = parse(cur)
local c, d = parse(ARGV[1])
if c > a or (c == a and d > b) then redis.call('HSET', KEYS[1], 'cursor', ARGV[1]) end
return 1
"""

# Releases a lock only if this holder still has it. KEYS: lock. ARGV: token.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class WebhookStore:
    """Subscriptions, deliveries and their log. Shared by the API (subscriptions, log) and the
    workers' dispatchers (deliveries)."""

    def __init__(self, client: redis.Redis[bytes], keys: RedisKeys | None = None) -> None:
        self.redis = client
        self.keys = keys or RedisKeys()
        self._enqueue = client.register_script(_ENQUEUE)
        self._take = client.register_script(_TAKE)
        self._advance = client.register_script(_ADVANCE)
        self._unlock = client.register_script(_UNLOCK)

    # --- subscriptions -------------------------------------------------------------------

    def create(
        self, tenant: str, collection: str, url: str, events: Sequence[WebhookEventType]
    ) -> tuple[Subscription, str]:
        """Registers a subscription; returns it and its secret. Records stored from now on
        are delivered (the cursor starts at the feed's current end)."""
        webhook_id = new_id()
        secret = new_secret()
        now = time.time()
        last = cast(list[tuple[bytes, Any]], self.redis.xrevrange(self.keys.feed(collection), count=1))
        cursor = last[0][0].decode() if last else "0-0"
        fields: dict[str | bytes, str | float] = {
            "id": webhook_id,
            "tenant": tenant,
            "collection": collection,
            "url": url,
            "events": json.dumps(list(dict.fromkeys(events))),
            "secret": secret,
            "created_at": _iso(now),
            "cursor": cursor,
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.webhook(webhook_id), mapping=fields)
        pipe.sadd(self.keys.webhooks(), webhook_id)
        pipe.zadd(self.keys.tenant_webhooks(tenant), {webhook_id: now})
        pipe.execute()
        subscription = self.get(webhook_id)
        assert subscription is not None
        return subscription, secret

    def get(self, webhook_id: str) -> Subscription | None:
        raw = self.redis.hgetall(self.keys.webhook(webhook_id))
        return _subscription(raw) if raw else None

    def count(self, tenant: str) -> int:
        return int(self.redis.zcard(self.keys.tenant_webhooks(tenant)))

    def of_tenant(self, tenant: str) -> list[Subscription]:
        """A tenant's subscriptions, oldest first."""
        ids = [_text(i) for i in self.redis.zrange(self.keys.tenant_webhooks(tenant), 0, -1)]
        return [s for s in self._many(ids) if s is not None]

    def all(self) -> list[Subscription]:
        """Every subscription (the dispatcher's view)."""
        ids = sorted(_text(i) for i in self.redis.smembers(self.keys.webhooks()))
        return [s for s in self._many(ids) if s is not None]

    def _many(self, ids: Sequence[str]) -> list[Subscription | None]:
        pipe = self.redis.pipeline(transaction=False)
        for webhook_id in ids:
            pipe.hgetall(self.keys.webhook(webhook_id))
        return [_subscription(raw) if raw else None for raw in pipe.execute()]

    def delete(self, subscription: Subscription) -> None:
        """Removes the subscription and its log; its pending deliveries are cancelled when due."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.webhook(subscription.id))
        pipe.srem(self.keys.webhooks(), subscription.id)
        pipe.zrem(self.keys.tenant_webhooks(subscription.tenant), subscription.id)
        pipe.delete(self.keys.webhook_deliveries(subscription.id))
        pipe.execute()

    def advance(self, webhook_id: str, cursor: str) -> None:
        self._advance(keys=[self.keys.webhook(webhook_id)], args=[cursor])

    # --- deliveries ----------------------------------------------------------------------

    def enqueue(self, deliveries: Sequence[NewDelivery], now: float | None = None) -> int:
        """Makes each delivery unless it exists (same id: same message); returns how many were new."""
        if not deliveries:
            return 0
        now = time.time() if now is None else now
        pipe = self.redis.pipeline(transaction=False)
        for d in deliveries:
            fields: list[str | bytes | float] = [
                "id", d.id, "type", d.type, "body", d.body, "webhook", d.webhook_id,
                "url", d.url, "secret", d.secret, "status", DeliveryStatus.pending.value,
                "attempts", 0, "created_ts", repr(now), "next_attempt_at", _iso(now),
            ]  # fmt: skip
            log = self.keys.webhook_deliveries(d.webhook_id) if d.webhook_id else ""
            self._enqueue(
                keys=[self.keys.delivery(d.id), self.keys.deliveries_due(), log],
                args=[now, d.id, DELIVERY_LOG_LENGTH, *fields],
                client=pipe,
            )
        return sum(int(n) for n in pipe.execute())

    def take_due(self, now: float, lease_until: float, limit: int) -> list[str]:
        rows = self._take(keys=[self.keys.deliveries_due()], args=[now, lease_until, limit])
        return [_text(r) for r in rows]

    def delivery(self, delivery_id: str) -> Delivery | None:
        raw = self.redis.hgetall(self.keys.delivery(delivery_id))
        if not raw:
            return None
        row = {k.decode(): v for k, v in raw.items()}
        return Delivery(
            id=_text(row["id"]),
            type=cast(WebhookEventType, _text(row["type"])),
            body=row.get("body", b"{}"),
            webhook_id=_text(row.get("webhook", b"")),
            url=_text(row.get("url", b"")),
            secret=_text(row.get("secret", b"")),
            attempts=int(row.get("attempts", 0)),
            created_ts=float(row.get("created_ts", 0)),
        )

    def record_attempt(
        self,
        delivery_id: str,
        *,
        now: float,
        ok: bool,
        status_code: int | None,
        error: str | None,
        retry_at: float | None,
        retention_seconds: int,
    ) -> None:
        """One attempt's outcome: delivered, retried at ``retry_at``, or (None) given up."""
        key = self.keys.delivery(delivery_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(key, "attempts", 1)
        pipe.hset(key, mapping={"last_attempt_at": _iso(now), "last_status": status_code or ""})
        pipe.hset(key, "last_error", (error or "")[:500])
        if ok or retry_at is None:
            status = DeliveryStatus.delivered if ok else DeliveryStatus.failed
            pipe.hset(key, "status", status.value)
            if ok:
                pipe.hset(key, "delivered_at", _iso(now))
            pipe.hdel(key, "next_attempt_at")
            pipe.zrem(self.keys.deliveries_due(), delivery_id)
            pipe.expire(key, retention_seconds)
        else:
            pipe.hset(key, "next_attempt_at", _iso(retry_at))
            pipe.zadd(self.keys.deliveries_due(), {delivery_id: retry_at})
        pipe.execute()

    def cancel(self, delivery_id: str, retention_seconds: int) -> None:
        """Its subscription is gone: the delivery is not sent."""
        key = self.keys.delivery(delivery_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, "status", DeliveryStatus.cancelled.value)
        pipe.hdel(key, "next_attempt_at")
        pipe.zrem(self.keys.deliveries_due(), delivery_id)
        pipe.expire(key, retention_seconds)
        pipe.execute()

    def log(self, webhook_id: str, limit: int = 100) -> list[DeliveryView]:
        """A subscription's deliveries, newest first."""
        ids = self.redis.zrevrange(self.keys.webhook_deliveries(webhook_id), 0, limit - 1)
        pipe = self.redis.pipeline(transaction=False)
        for delivery in ids:
            pipe.hgetall(self.keys.delivery(_text(delivery)))
        views = []
        for raw in pipe.execute():
            if raw:
                views.append(_delivery_view({k.decode(): v.decode() for k, v in raw.items()}))
        return views

    # --- the one dispatcher that fans out ------------------------------------------------

    def lock(self, token: str, ttl_seconds: float) -> bool:
        return bool(
            self.redis.set(self.keys.webhook_fanout_lock(), token, nx=True, px=int(ttl_seconds * 1000))
        )

    def unlock(self, token: str) -> None:
        self._unlock(keys=[self.keys.webhook_fanout_lock()], args=[token])


def _subscription(raw: dict[bytes, bytes]) -> Subscription:
    row = {k.decode(): v.decode() for k, v in raw.items()}
    return Subscription(
        id=row["id"],
        tenant=row["tenant"],
        collection=row["collection"],
        url=row["url"],
        events=tuple(json.loads(row.get("events") or "[]")),
        secret=row["secret"],
        created_at=datetime.fromisoformat(row["created_at"]),
        cursor=row.get("cursor") or "0-0",
    )


def _delivery_view(row: dict[str, str]) -> DeliveryView:
    def when(name: str) -> datetime | None:
        value = row.get(name)
        return datetime.fromisoformat(value) if value else None

    last_status = row.get("last_status")
    return DeliveryView(
        id=row["id"],
        type=cast(WebhookEventType, row["type"]),
        status=DeliveryStatus(row.get("status", "pending")),
        attempts=int(row.get("attempts", 0)),
        created_at=datetime.fromtimestamp(float(row.get("created_ts", 0)), UTC),
        last_attempt_at=when("last_attempt_at"),
        last_status=int(last_status) if last_status else None,
        last_error=row.get("last_error") or None,
        next_attempt_at=when("next_attempt_at"),
        delivered_at=when("delivered_at"),
    )


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Wait after the ``attempts``-th failed attempt: base, 2·base, 4·base… at most ``cap``."""
    return float(min(cap, base * (2 ** max(0, attempts - 1))))
