"""``Pipeline.run_batch``: the same result per document as ``run``, batch stages called once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ingest_worker.offline import make_offline_context
from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.base import Article, Interrupted, Pipeline, Reject, StageContext

STORY = (
    "The harbour authority approved the new ferry timetable on Tuesday after months of talks.\n\n"
    "Passengers will see two extra crossings each morning, the director said, and fares stay "
    "the same until the end of the year. The unions welcomed the change.\n\n"
    "Work on the second pier starts in spring and should take eighteen months."
)


def _article(text: str, record_id: str) -> Article:
    return Article(raw=text.encode(), filename=f"{record_id}.txt", record_id=record_id)


def _comparable(doc: Article | Exception) -> tuple[object, ...]:
    assert isinstance(doc, Article), doc
    return (doc.body, doc.title, doc.language, doc.duplicate_of, doc.similarity, doc.content_sha256)


def test_each_document_comes_out_as_run_alone_would_give_it() -> None:
    texts = [STORY, STORY, STORY.replace("Tuesday", "Monday") + "\n\nMore to follow.", "", "\x00\x01" * 50]
    alone = build_pipeline()
    ctx = make_offline_context(dedup=True)
    expected: list[object] = []
    for n, text in enumerate(texts):
        try:
            expected.append(_comparable(alone.run(_article(text, f"r{n}"), ctx)))
        except Reject as exc:
            expected.append(exc.reason)

    results = build_pipeline().run_batch(
        [_article(t, f"r{n}") for n, t in enumerate(texts)], make_offline_context(dedup=True)
    )
    got = [
        r.reason if isinstance(r, Reject) else _comparable(r)
        for r in results
        if not isinstance(r, RuntimeError)
    ]
    assert got == expected
    assert isinstance(results[1], Article) and results[1].duplicate_of == "r0"
    assert isinstance(results[3], Reject)


class _Boom:
    name = "boom"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.record_id == "bad":
            raise RuntimeError("a bug in a stage")
        return doc


class _Counting:
    name = "counting"

    def __init__(self) -> None:
        self.calls: list[list[str | None]] = []

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        return self.run_batch([doc], ctx)[0]

    def run_batch(self, docs: Sequence[Article], ctx: StageContext) -> list[Article]:
        self.calls.append([d.record_id for d in docs])
        return list(docs)


def test_a_batch_stage_gets_every_live_document_at_once_and_a_failing_one_leaves_the_batch() -> None:
    counting = _Counting()
    pipeline = Pipeline([_Boom(), counting], version="test")
    results = pipeline.run_batch(
        [_article("a", "one"), _article("b", "bad"), _article("c", "two")], StageContext()
    )
    assert counting.calls == [["one", "two"]]
    assert isinstance(results[1], RuntimeError)
    assert [r.record_id for r in results if isinstance(r, Article)] == ["one", "two"]
    first = results[0]
    assert isinstance(first, Article) and [name for name, _ in first.timings] == ["boom", "counting"]


class _Deadline(Exception):
    pass


class _Slow:
    name = "slow"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.record_id == "late":
            raise _Deadline
        return doc


def test_an_exception_the_caller_stops_on_names_the_document() -> None:
    pipeline = Pipeline([_Slow()], version="test")
    docs = [_article("a", "early"), _article("b", "late")]
    with pytest.raises(Interrupted) as stopped:
        pipeline.run_batch(docs, StageContext(), stop_on=(_Deadline,))
    assert stopped.value.position == 1 and isinstance(stopped.value.cause, _Deadline)
