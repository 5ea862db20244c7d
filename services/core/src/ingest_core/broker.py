"""kombu's Redis transport with one reused client per channel for its plain commands.

kombu builds a new redis-py client for every publish, delivery and acknowledgement
(``Channel.conn_or_acquire``), and redis-py's constructor copies ~170 response callbacks:
~0.3 ms of CPU each time, three times a task (the API's publish, the worker's delivery and ack).
A redis-py client is thread-safe (each command takes a connection from the channel's pool), so
one per channel serves them all; the asynchronous client kombu uses for BRPOP is left as it is.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

#: The transport, by the path Celery's ``broker_transport`` takes.
TRANSPORT = "ingest_core.broker:Transport"


class Channel(kombu_redis.Channel):
    _plain_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        if self._plain_client is None:
            self._plain_client = super()._create_client()  # type: ignore[no-untyped-call]
        return self._plain_client


class Transport(kombu_redis.Transport):
    Channel = Channel


def broker_transport(broker_url: str) -> str | None:
    """This transport for a plain ``redis://`` broker; kombu's own choice for anything else."""
    return TRANSPORT if broker_url.startswith("redis://") else None
