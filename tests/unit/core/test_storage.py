"""ObjectStore against moto: conditional puts, ordered listings, missing keys, injected faults."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from ingest_core.errors import NotFound, StorageError
from ingest_core.storage import ObjectStore


@pytest.fixture
def store() -> Iterator[ObjectStore]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        store = ObjectStore(client, "bucket")
        store.ensure_bucket()
        yield store


def test_put_if_absent_writes_once_and_keeps_the_first_body(store: ObjectStore) -> None:
    first = store.put_if_absent("records/v1/a/x.json", b"first")
    second = store.put_if_absent("records/v1/a/x.json", b"second")
    assert (first.created, second.created) == (True, False)
    assert store.get("records/v1/a/x.json") == b"first"


def test_getting_a_missing_key_raises_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        store.get("nope")


def test_listing_is_in_key_order_and_resumes_after_a_key(store: ObjectStore) -> None:
    for name in ["c", "a", "b", "d"]:
        store.put_if_absent(f"p/{name}", b"x")
    assert store.list_after("p/") == ["p/a", "p/b", "p/c", "p/d"]
    assert store.list_after("p/", start_after="p/b") == ["p/c", "p/d"]
    assert list(store.iter_keys("p/", start_after="p/a")) == ["p/b", "p/c", "p/d"]


def test_ensure_bucket_is_idempotent(store: ObjectStore) -> None:
    store.ensure_bucket()
    store.check()


def test_check_reports_a_missing_bucket_as_storage_error() -> None:
    with mock_aws():
        store = ObjectStore(boto3.client("s3", region_name="us-east-1"), "absent")
        with pytest.raises(StorageError):
            store.check()


def test_a_server_error_on_put_propagates_for_the_caller_to_retry(store: ObjectStore) -> None:
    stubber = Stubber(store.client)
    stubber.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
    with stubber, pytest.raises(ClientError) as caught:
        store.put_if_absent("k", b"x")
    assert caught.value.response["Error"]["Code"] == "SlowDown"


def test_a_precondition_failure_means_the_object_exists(store: ObjectStore) -> None:
    stubber = Stubber(store.client)
    stubber.add_client_error("put_object", service_error_code="PreconditionFailed", http_status_code=412)
    with stubber:
        assert store.put_if_absent("k", b"x").created is False


def test_a_missing_key_is_not_named_in_the_error_a_caller_may_show(store: ObjectStore) -> None:
    with pytest.raises(NotFound) as caught:
        store.get("records/v1/news/2026/01/02/01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
    assert "records/" not in str(caught.value) and caught.value.details is None
