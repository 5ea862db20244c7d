"""The broker transport on a real Redis: kombu's Redis transport, one plain client per channel."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from kombu.connection import Connection

from ingest_core.broker import TRANSPORT, Channel, broker_transport
from ingest_devstack.servers import RedisServer

pytestmark = pytest.mark.integration


def test_a_redis_broker_gets_the_transport_and_any_other_keeps_kombus_choice() -> None:
    assert broker_transport("redis://127.0.0.1:6379/0") == TRANSPORT
    assert broker_transport("rediss://127.0.0.1:6379/0") is None
    assert broker_transport("amqp://guest@127.0.0.1//") is None


def test_messages_go_through_without_a_new_redis_client_per_message(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    original = redis.Redis.__init__

    def counting_init(self: redis.Redis[bytes], *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    with Connection(redis_server.url, transport=TRANSPORT) as connection:  # type: ignore[no-untyped-call]
        channel = connection.default_channel
        assert isinstance(channel, Channel)
        with connection.SimpleQueue("broker-transport-test") as queue:
            queue.put({"n": -1})
            queue.get(timeout=5).ack()  # the channel's clients exist from here on
            monkeypatch.setattr(redis.Redis, "__init__", counting_init)
            for n in range(3):
                queue.put({"n": n})
            received = []
            for _ in range(3):
                message = queue.get(timeout=5)
                received.append(message.payload["n"])
                message.ack()
        assert received == [0, 1, 2]
        assert built == []  # kombu's own transport builds four per put + get + ack
        assert channel._create_client() is channel._create_client()
        assert channel._create_client(asynchronous=True) is not channel._create_client()
