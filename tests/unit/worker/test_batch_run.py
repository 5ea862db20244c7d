"""One delivery of a batch, with the job store and bucket replaced by recorders: which outcome
each document gets, in which flush, and what happens when the task runs out of time."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import EndpointConnectionError
from celery.exceptions import SoftTimeLimitExceeded

from ingest_core.jobs import DocOutcome, StartVerdict, Transition
from ingest_core.schema import DocStatus
from ingest_core.settings import Settings
from ingest_core.tasks import BatchDocument, BatchMessage, Locator
from ingest_worker.offline import make_offline_context
from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.base import Article, Pipeline, StageContext
from ingest_worker.tasks import FLUSH_DOCUMENTS, Runtime, run_batch

STORY = (
    "The harbour authority approved the new ferry timetable on Tuesday after months of talks.\n\n"
    "Passengers will see two extra crossings each morning, the director said, and fares stay "
    "the same until the end of the year. The unions welcomed the change.\n\n"
    "Work on the second pier starts in spring and should take eighteen months."
)


@dataclass
class Recorder:
    """The job store's and the bucket's side of a batch run."""

    upload: bytes
    flushes: list[list[DocOutcome]] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    records: dict[str, bytes] = field(default_factory=dict)
    errors: list[Sequence[str]] = field(default_factory=list)  # documents noted as waiting a retry

    def claim(
        self, job_id: str, doc_ids: Sequence[str], record_ids: Sequence[str], **_: Any
    ) -> list[StartVerdict]:
        return [StartVerdict(True, 1, rid) for rid in record_ids]

    def finish_many(
        self, job_id: str, collection: str, outcomes: Sequence[DocOutcome], **_: Any
    ) -> Transition:
        self.flushes.append(list(outcomes))
        return Transition(moved=True, job_status="running", job_finished=False)

    def reschedule(self, batch_id: str, at: float) -> None:
        self.rescheduled.append(batch_id)

    def renew_lease(self, batch_id: str, until: float) -> None:
        pass

    def note_error(self, doc_ids: Sequence[str], error: str) -> None:
        self.errors.append(doc_ids)

    def get_range(self, key: str, start: int, end: int) -> bytes:
        return self.upload[start:end]

    def put_if_absent(self, key: str, body: bytes, **_: Any) -> None:
        self.records[key] = body


def _run(
    texts: list[str], pipeline: Pipeline, *, recorder_type: type[Recorder] = Recorder, expect: str = "done"
) -> Recorder:
    lines = [t.encode() for t in texts]
    recorder = recorder_type(b"".join(lines))
    documents, offset = [], 0
    for n, line in enumerate(lines):
        locator = Locator(raw_key="raw/news/abc", offset=offset, length=len(line))
        documents.append(
            BatchDocument(doc_id=f"d{n}", filename=f"{n}.txt", content_type="text/plain", locator=locator)
        )
        offset += len(line)
    message = BatchMessage(batch_id="b1", job_id="j1", collection="news", documents=documents)
    fake = cast(Any, recorder)
    runtime = Runtime(
        settings=Settings(),
        redis=fake,
        jobs=fake,
        store=fake,
        pipeline=pipeline,
        ctx=make_offline_context(dedup=True),
    )
    assert run_batch(message, runtime) == expect
    return recorder


def _stories(n: int) -> list[str]:
    """Distinct articles: the story with a paragraph of other words each."""
    rng = random.Random(7)
    words = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(800)
    ]
    return [
        STORY + "\n\n" + " ".join(rng.choice(words) for _ in range(120)).capitalize() + "." for _ in range(n)
    ]


def test_outcomes_are_written_a_chunk_at_a_time_in_document_order() -> None:
    texts = [*_stories(FLUSH_DOCUMENTS + 3), ""]
    texts[5] = texts[4]
    recorder = _run(texts, build_pipeline())
    assert [len(flush) for flush in recorder.flushes] == [FLUSH_DOCUMENTS, 4]
    outcomes = [o for flush in recorder.flushes for o in flush]
    assert [o.doc_id for o in outcomes] == [f"d{n}" for n in range(len(texts))]
    assert outcomes[5].status == DocStatus.duplicate and outcomes[5].duplicate_of == outcomes[4].record_id
    assert outcomes[-1].status == DocStatus.rejected
    assert len(recorder.records) == len(texts) - 2


class _Overrun:
    """Runs out of the task's time on one document."""

    name = "overrun"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.filename == "2.txt":
            raise SoftTimeLimitExceeded()
        return doc


def test_a_document_that_runs_out_of_time_is_rejected_and_the_rest_are_sent_again() -> None:
    full = build_pipeline()
    pipeline = Pipeline([_Overrun(), *full.stages], version=full.version)
    recorder = _run(_stories(5), pipeline)
    (flush,) = recorder.flushes
    assert [(o.doc_id, o.status) for o in flush] == [("d2", DocStatus.rejected)]
    assert flush[0].error == "processing time limit exceeded"
    assert recorder.rescheduled == ["b1"]


def test_a_chunk_whose_records_cannot_be_written_records_no_later_outcome_and_sends_the_batch_again() -> None:
    class Unwritable(Recorder):
        def put_if_absent(self, key: str, body: bytes, **_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    recorder = _run(_stories(FLUSH_DOCUMENTS + 2), build_pipeline(), recorder_type=Unwritable, expect="retry")
    assert recorder.flushes == []  # neither chunk's outcomes: the first chunk's records are missing
    assert recorder.rescheduled == ["b1"]
    assert [len(ids) for ids in recorder.errors] == [FLUSH_DOCUMENTS + 2]
