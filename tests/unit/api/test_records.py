"""Record reads: strict feed cursors, fast 503s when storage is down, 404s that name no storage key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from ingest_api.main import create_app
from ingest_core.keys import record_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore

from .stopped_backends import KEYS, refused_url, silent_url

RECORD_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
KEY = record_key("news", RECORD_ID)


class _Jobs:
    """The job store's answers for one stored record, without Redis."""

    def record_key(self, record_id: str) -> str | None:
        return KEY if record_id == RECORD_ID else None

    def feed(self, collection: str, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        return [("1700000000000-0", RECORD_ID, KEY)]


@contextmanager
def _client(s3_url: str | None = None) -> Iterator[TestClient]:
    s3_url = s3_url or refused_url("http")
    settings = Settings(
        redis_url=refused_url("redis") + "/0", s3_endpoint_url=s3_url, s3_create_bucket=False, **KEYS
    )
    # The feed's own Redis checks (a lost feed is rebuilt first) are the integration tests' part.
    with (
        TestClient(create_app(settings)) as client,
        patch("ingest_api.routes.records.ensure_feed", lambda *args, **kwargs: None),
    ):
        client.app.state.services.jobs = _Jobs()  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize(
    "cursor",
    [
        "1-",
        "-1",
        "1",
        "1-2-3",
        "9" * 400,
        "9" * 400 + "-0",
        "0-" + "9" * 400,
        f"{2**64}-0",
        f"0-{2**64}",
        "007-0",
        "+1-0",
        " 1-0",
        "١٢-٣",  # Arabic-Indic digits: str.isdigit says yes
        "1.5-0",
    ],
)
def test_a_cursor_redis_would_refuse_is_a_400_with_a_clear_message(cursor: str) -> None:
    with _client() as client:
        response = client.get("/v1/records", params={"collection": "news", "after": cursor})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert "cursor" in error["message"] and "next" in error["message"]
    assert "retry-after" not in response.headers


def test_the_largest_cursor_is_valid_and_has_nothing_after_it() -> None:
    last = f"{2**64 - 1}-{2**64 - 1}"
    with _client() as client:
        response = client.get("/v1/records", params={"collection": "news", "after": last})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next": last}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", ["refused", "silent"])
@pytest.mark.parametrize("path", [f"/v1/records/{RECORD_ID}", "/v1/records?collection=news"])
def test_reads_fail_fast_with_503_and_retry_after_when_storage_is_down(how: str, path: str) -> None:
    with silent_url("http") as silent, _client(refused_url("http") if how == "refused" else silent) as client:
        started = time.monotonic()
        response = client.get(path)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert elapsed < 6.0  # two attempts of at most 2 s each, plus a back-off


def test_uploads_keep_the_patient_storage_client() -> None:
    settings = Settings(s3_endpoint_url=refused_url("http"))
    patient: Any = ObjectStore.from_settings(settings).client.meta.config  # botocore's Config is untyped
    quick: Any = ObjectStore.from_settings(settings, interactive=True).client.meta.config
    assert (patient.read_timeout, patient.retries["total_max_attempts"]) == (30, 5)
    assert (quick.read_timeout, quick.connect_timeout) == (2.0, 2.0)
    assert quick.retries["total_max_attempts"] == 2


def test_a_record_missing_from_storage_is_a_404_that_names_the_record_not_the_key() -> None:
    with mock_aws(), _client() as client:
        store = ObjectStore(boto3.client("s3", region_name="us-east-1"), "bucket")
        store.ensure_bucket()
        client.app.state.services.reads = store  # type: ignore[attr-defined]
        single = client.get(f"/v1/records/{RECORD_ID}")
        feed = client.get("/v1/records", params={"collection": "news"})
    assert single.status_code == 404
    assert single.json()["error"]["message"] == f"no record {RECORD_ID}"
    assert feed.status_code == 404
    for response in (single, feed):
        assert "records/" not in response.text and KEY not in response.text
