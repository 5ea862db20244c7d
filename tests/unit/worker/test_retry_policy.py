"""Which errors a task retries: infrastructure hiccups yes, bad input and bugs no."""

from __future__ import annotations

from typing import Any

import redis
from botocore.exceptions import ClientError, EndpointConnectionError

from ingest_worker.tasks import is_transient


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutObject")


def test_connection_errors_to_redis_and_s3_are_retried() -> None:
    assert is_transient(redis.ConnectionError("refused"))
    assert is_transient(redis.TimeoutError("slow"))
    assert is_transient(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))


def test_s3_throttling_and_server_errors_are_retried() -> None:
    assert is_transient(_client_error("SlowDown", 503))
    assert is_transient(_client_error("InternalError", 500))


def test_client_errors_and_bugs_are_not_retried() -> None:
    assert not is_transient(_client_error("AccessDenied", 403))
    assert not is_transient(_client_error("NoSuchBucket", 404))
    assert not is_transient(ValueError("a bug"))
