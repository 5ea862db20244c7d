"""The broker transport on a real Redis: kombu's Redis transport, one plain client per channel."""

from __future__ import annotations

import pytest
from kombu.connection import Connection

from ingest_core.broker import TRANSPORT, Channel, broker_transport
from ingest_devstack.servers import RedisServer

pytestmark = pytest.mark.integration


def test_a_redis_broker_gets_the_transport_and_any_other_keeps_kombus_choice() -> None:
    assert broker_transport("redis://127.0.0.1:6379/0") == TRANSPORT
    assert broker_transport("rediss://127.0.0.1:6379/0") is None
    assert broker_transport("amqp://guest@127.0.0.1//") is None


def test_messages_go_through_and_a_channel_builds_its_plain_client_once(redis_server: RedisServer) -> None:
    with Connection(redis_server.url, transport=TRANSPORT) as connection:  # type: ignore[no-untyped-call]
        channel = connection.default_channel
        assert isinstance(channel, Channel)
        with connection.SimpleQueue("broker-transport-test") as queue:
            for n in range(3):
                queue.put({"n": n})
            received = []
            for _ in range(3):
                message = queue.get(timeout=5)
                received.append(message.payload["n"])
                message.ack()
        assert received == [0, 1, 2]
        assert channel._create_client() is channel._create_client()
        assert channel._create_client(asynchronous=True) is not channel._create_client()
