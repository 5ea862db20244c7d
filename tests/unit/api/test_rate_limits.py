"""The limiter: per-key token buckets in Redis (429 with Retry-After) and the queue bound (503)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from ingest_api.limits import RateLimiter, check_queue_depth
from ingest_core.errors import PayloadTooLarge, QueueFull, TooManyRequests
from ingest_core.keys import RedisKeys
from ingest_core.tasks import QUEUE
from ingest_core.tenants import OPEN, Principal
from ingest_devstack.servers import RedisServer


@pytest.fixture
def limiter(redis_client: redis.Redis[bytes]) -> RateLimiter:
    return RateLimiter(redis_client, RedisKeys(prefix=f"t{uuid.uuid4().hex[:8]}"))


def key(name: str, *, rpm: int | None = None, dpm: int | None = None) -> Principal:
    return Principal(
        "acme", key_id=f"{name}-{uuid.uuid4().hex[:8]}", requests_per_minute=rpm, documents_per_minute=dpm
    )


def test_requests_within_a_minutes_allowance_pass_and_the_next_is_429_with_retry_after(
    limiter: RateLimiter,
) -> None:
    principal = key("a", rpm=3)
    for _ in range(3):
        limiter.check_request(principal)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check_request(principal)
    assert refused.value.status == 429
    # One token comes back every 60/3 = 20 s.
    assert refused.value.retry_after is not None
    assert 1 <= refused.value.retry_after <= 20
    assert refused.value.details["limit"] == 3


def test_the_bucket_refills_with_time(limiter: RateLimiter) -> None:
    principal = key("a", rpm=120)  # two a second
    assert principal.key_id is not None
    assert limiter.wait_seconds(limiter.keys.rate("requests", principal.key_id), 120, cost=120) is None
    with pytest.raises(TooManyRequests) as refused:
        limiter.check_request(principal)
    assert refused.value.retry_after == 1
    time.sleep(0.6)
    limiter.check_request(principal)


def test_each_key_has_its_own_bucket(limiter: RateLimiter) -> None:
    first, second = key("a", rpm=1), key("b", rpm=1)
    limiter.check_request(first)
    with pytest.raises(TooManyRequests):
        limiter.check_request(first)
    limiter.check_request(second)


def test_a_refused_request_takes_no_tokens(limiter: RateLimiter) -> None:
    principal = key("a", dpm=10)
    limiter.check_documents(principal, 8)
    with pytest.raises(TooManyRequests):
        limiter.check_documents(principal, 5)
    limiter.check_documents(principal, 2)  # the 5 refused did not count


def test_documents_are_counted_by_the_upload(limiter: RateLimiter) -> None:
    principal = key("a", dpm=60)
    limiter.check_documents(principal, 60)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check_documents(principal, 30)
    assert refused.value.retry_after == 30  # one document a second comes back
    assert refused.value.details == {"limit": 60, "per": "minute", "kind": "documents", "requested": 30}


def test_an_upload_larger_than_a_minutes_allowance_is_413_not_a_retry(limiter: RateLimiter) -> None:
    with pytest.raises(PayloadTooLarge, match="split it"):
        limiter.check_documents(key("a", dpm=10), 11)


def test_requests_and_documents_are_separate_buckets(limiter: RateLimiter) -> None:
    principal = key("a", rpm=1, dpm=1)
    limiter.check_request(principal)
    limiter.check_documents(principal, 1)


def test_a_key_without_limits_and_the_open_service_never_touch_redis() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RateLimiter(dead)
    for principal in (OPEN, key("a")):
        limiter.check_request(principal)
        limiter.check_documents(principal, 1000)


@pytest.fixture
def broker(redis_server: RedisServer) -> Iterator[redis.Redis[bytes]]:
    """A database no worker reads, so the queue's length is what the test puts there."""
    client = redis.Redis.from_url(redis_server.url.removesuffix("/0") + "/14")
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)
    client.close()


def test_a_queue_deeper_than_the_bound_is_503_with_retry_after(broker: redis.Redis[bytes]) -> None:
    broker.rpush(QUEUE, b"1", b"2", b"3")
    check_queue_depth(broker, 3, retry_after=7)  # at the bound: still accepted
    broker.rpush(QUEUE, b"4")
    with pytest.raises(QueueFull) as refused:
        check_queue_depth(broker, 3, retry_after=7)
    assert (refused.value.status, refused.value.retry_after, refused.value.code) == (503, 7, "queue_full")
    check_queue_depth(broker, None, retry_after=7)  # no bound
