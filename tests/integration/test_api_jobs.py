"""GET /v1/jobs/{id}?wait=N on the real API: a long-poll answers with the change it woke for."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import DEFAULT_TENANT, tenant_collection
from ingest_core.schema import DocStatus
from ingest_devstack.servers import ApiServer

pytestmark = pytest.mark.integration


def _registered_job(redis_client: redis.Redis[bytes], collection: str) -> tuple[JobStore, str, str]:
    """A job of one queued document, registered without batches: no worker will touch it."""
    jobs = JobStore(redis_client)
    doc = NewDocument(filename="a.txt")
    job_id = jobs.create_job(tenant_collection(DEFAULT_TENANT, collection), [doc])
    return jobs, job_id, doc.doc_id


def test_a_long_poll_answers_with_the_change_it_woke_for(
    api_server: ApiServer, redis_client: redis.Redis[bytes], collection: str
) -> None:
    jobs, job_id, doc_id = _registered_job(redis_client, collection)
    answers: list[dict[str, Any]] = []
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        poll = threading.Thread(
            target=lambda: answers.append(client.get(f"/v1/jobs/{job_id}", params={"wait": 30}).json())
        )
        started = time.monotonic()
        poll.start()
        time.sleep(0.5)  # the poll is waiting by now (a change before it reads is fine too)
        jobs.finish(job_id, doc_id, DocStatus.rejected, error="spec: rejected while polled")
        poll.join(60)
        elapsed = time.monotonic() - started

    [job] = answers
    assert elapsed < 25  # woke for the change, not at the end of its 30 s
    assert job["status"] == "failed"
    assert job["counts"]["rejected"] == 1 and job["counts"]["queued"] == 0
    assert job["documents"][0]["error"] == "spec: rejected while polled"


def test_a_long_poll_until_final_sleeps_through_the_changes_before_the_end(
    api_server: ApiServer, redis_client: redis.Redis[bytes], collection: str
) -> None:
    jobs = JobStore(redis_client)
    first, second = NewDocument(filename="a.txt"), NewDocument(filename="b.txt")
    job_id = jobs.create_job(tenant_collection(DEFAULT_TENANT, collection), [first, second])
    answers: dict[str, tuple[dict[str, Any], float]] = {}
    with httpx.Client(base_url=api_server.url, timeout=60) as client:

        def poll(until: str) -> None:
            job = client.get(f"/v1/jobs/{job_id}", params={"wait": 30, "until": until}).json()
            answers[until] = (job, time.monotonic())

        polls = [threading.Thread(target=poll, args=(until,)) for until in ("change", "final")]
        for thread in polls:
            thread.start()
        time.sleep(0.5)
        jobs.finish(job_id, first.doc_id, DocStatus.rejected, error="first")
        time.sleep(1.5)  # past the waits' 1 s fallback re-check
        last_change = time.monotonic()
        jobs.finish(job_id, second.doc_id, DocStatus.rejected, error="second")
        for thread in polls:
            thread.join(60)

    on_change, changed_at = answers["change"]
    assert on_change["status"] == "running" and changed_at < last_change
    final, finished_at = answers["final"]
    assert final["status"] == "failed" and finished_at >= last_change
    assert [doc["error"] for doc in final["documents"]] == ["first", "second"]


def test_a_long_poll_until_anything_else_is_422(api_server: ApiServer) -> None:
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        response = client.get(f"/v1/jobs/{new_id()}", params={"wait": 1, "until": "soon"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_a_long_poll_on_a_finished_job_answers_at_once(
    api_server: ApiServer, redis_client: redis.Redis[bytes], collection: str
) -> None:
    jobs, job_id, doc_id = _registered_job(redis_client, collection)
    jobs.finish(job_id, doc_id, DocStatus.rejected, error="done before the poll")
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        started = time.monotonic()
        job = client.get(f"/v1/jobs/{job_id}", params={"wait": 30}).json()
        elapsed = time.monotonic() - started
    assert job["status"] == "failed"
    assert elapsed < 25


def test_a_long_poll_of_an_unknown_job_is_404(api_server: ApiServer) -> None:
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        response = client.get(f"/v1/jobs/{new_id()}", params={"wait": 2})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("cursor", ["²", "٣", "99999999999999999999", "-1"])
def test_a_cursor_that_is_no_position_is_a_clear_400(
    api_server: ApiServer, redis_client: redis.Redis[bytes], collection: str, cursor: str
) -> None:
    _, job_id, _ = _registered_job(redis_client, collection)
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        answer = client.get(f"/v1/jobs/{job_id}", params={"cursor": cursor})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["details"] == {"cursor": cursor}


@pytest.mark.parametrize("job_id", ["\x00", "01J!", "x" * 2000])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_id_that_is_no_job_id_is_a_404(api_server: ApiServer, job_id: str, method: str) -> None:
    with httpx.Client(base_url=api_server.url, timeout=60) as client:
        answer = client.request(method, f"/v1/jobs/{quote(job_id, safe='')}")
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["details"] == {"job_id": job_id}
