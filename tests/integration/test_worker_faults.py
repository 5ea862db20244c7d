"""Storage faults during a task: retried with back-off, then recorded as failed, never lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError

from ingest_core.schema import DocStatus
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import DocumentMessage
from ingest_worker import tasks
from ingest_worker.tasks import Runtime, build_runtime, process_document_task

pytestmark = pytest.mark.integration

ARTICLE = (
    Path(__file__).resolve().parents[3] / "shared" / "samples" / "000_db929eefe4fa1c71.txt"
).read_bytes()


class FlakyStore(ObjectStore):
    """The real bucket, but the first ``failures`` reads fail as if S3 were unreachable."""

    def __init__(self, inner: ObjectStore, failures: int) -> None:
        super().__init__(inner.client, inner.bucket)
        self.failures = failures
        self.reads = 0

    def get(self, key: str) -> bytes:
        self.reads += 1
        if self.reads <= self.failures:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return super().get(key)


MakeRuntime = Callable[..., tuple[Runtime, "FlakyStore"]]


@pytest.fixture
def runtime_with(monkeypatch: pytest.MonkeyPatch, stack_settings: Settings) -> MakeRuntime:
    def make(failures: int, max_retries: int = 5) -> tuple[Runtime, FlakyStore]:
        settings = stack_settings.model_copy(update={"task_max_retries": max_retries})
        rt = build_runtime(settings)
        flaky = FlakyStore(rt.store, failures)
        rt.store = flaky
        monkeypatch.setattr(tasks, "runtime", lambda: rt)
        return rt, flaky

    return make


def test_a_passing_storage_outage_is_retried_until_the_document_is_stored(
    runtime_with: MakeRuntime, enqueue_directly: Callable[[bytes], DocumentMessage]
) -> None:
    rt, flaky = runtime_with(failures=2)
    msg = enqueue_directly(ARTICLE)
    result = process_document_task.apply(args=[msg.model_dump(mode="json")])
    assert result.result == "stored"
    assert flaky.reads == 3
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.documents[0].status == DocStatus.stored
    assert job.documents[0].attempts == 3


def test_a_lasting_storage_outage_fails_the_document_with_the_attempt_count(
    runtime_with: MakeRuntime, enqueue_directly: Callable[[bytes], DocumentMessage]
) -> None:
    rt, _ = runtime_with(failures=100, max_retries=2)
    msg = enqueue_directly(ARTICLE)
    result = process_document_task.apply(args=[msg.model_dump(mode="json")])
    assert result.result == "failed"
    job = rt.jobs.get_job(msg.job_id)
    assert job is not None and job.status == "failed"
    doc = job.documents[0]
    assert doc.status == DocStatus.failed and doc.attempts == 3
    assert "gave up after 3 attempts" in (doc.error or "")
