"""The throughput benchmark's pure helpers (no servers, no timings asserted)."""

from __future__ import annotations

import math

import pytest

from bench.throughput.corpus import Pools, build_pools, generate, max_shared_share, split_sentences
from bench.throughput.run import jsonl_body, zip_body
from bench.throughput.stats import (
    counter_delta,
    parse_prometheus,
    percentile,
    poll_pause,
    sum_by_labels,
)

METRICS = """\
# HELP SeaweedFS_s3_request_total Counter of s3 requests.
# TYPE SeaweedFS_s3_request_total counter
SeaweedFS_s3_request_total{bucket="",code="403",type="LIST"} 2
SeaweedFS_s3_request_total{bucket="ingest",code="200",type="GET"} 6
SeaweedFS_s3_request_total{bucket="ingest",code="200",type="PUT"} 5
SeaweedFS_s3_request_total{bucket="ingest",code="404",type="GET"} 1
SeaweedFS_s3_request_seconds_count{bucket="ingest",type="PUT"} 5
go_goroutines 42
"""


def _pools(languages: int = 1, per_language: int = 400) -> Pools:
    """Synthetic sentences, each with words of its own, so sharing can be counted exactly."""
    sentences = {
        f"l{lang}": [
            f"Sentence {lang} {n} says w{lang}x{n} and v{lang}y{n} plainly." for n in range(per_language)
        ]
        for lang in range(languages)
    }
    return Pools(sentences, lengths=[300, 400, 500])


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_s3_requests_are_summed_by_type_and_code() -> None:
    samples = parse_prometheus(METRICS)
    by_type = sum_by_labels(samples, "SeaweedFS_s3_request_total", ("type", "code"))
    assert by_type == {"LIST 403": 2.0, "GET 200": 6.0, "PUT 200": 5.0, "GET 404": 1.0}
    assert counter_delta({"GET 200": 6.0, "PUT 200": 5.0}, {"GET 200": 9.0, "PUT 200": 5.0}) == {
        "GET 200": 3.0
    }


def test_polls_are_paced_within_bounds() -> None:
    assert poll_pause(0.0) == 0.25
    assert poll_pause(50.0) == 1.0
    assert poll_pause(10_000.0) == 2.0


def test_generated_articles_are_distinct_and_reproducible() -> None:
    pools = _pools(languages=2)
    articles = generate(60, seed=7, pools=pools)
    assert len({a.id for a in articles}) == 60
    assert len({a.text for a in articles}) == 60
    assert [a.text for a in generate(60, seed=7, pools=pools)] == [a.text for a in articles]
    # 800 sentences dealt from a shuffled deck: far below the service's 0.6 near-duplicate threshold
    assert max_shared_share(articles) < 0.5
    assert all(a.title and a.as_txt().startswith(a.title + "\n\n") for a in articles)


def test_copies_are_caught_by_the_distinctness_check() -> None:
    articles = generate(5, seed=1, pools=_pools())
    assert max_shared_share([*articles, articles[0]]) == 1.0


def test_pools_keep_only_languages_with_enough_sentences() -> None:
    english = " ".join(f"The council voted on item number {n} after a long debate today." for n in range(30))
    pools = build_pools([english, "Kurz."], min_pool=20)
    assert list(pools.sentences) == ["en"]
    assert len(pools.sentences["en"]) == 30
    assert split_sentences("Too short. This sentence has enough words to count.") == [
        "This sentence has enough words to count."
    ]


def test_uploads_hold_one_line_or_member_per_article() -> None:
    import io
    import json
    import zipfile

    articles = generate(3, seed=2, pools=_pools())
    lines = jsonl_body(articles).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [a.id for a in articles]
    archive = zipfile.ZipFile(io.BytesIO(zip_body((f"{a.id}.txt", a.as_txt().encode()) for a in articles)))
    assert archive.namelist() == [f"{a.id}.txt" for a in articles]


def test_a_process_trees_pss_counts_shared_pages_once_so_never_exceeds_its_rss() -> None:
    import os

    from bench.throughput.procs import tree_pss, tree_rss

    pss, rss = tree_pss(os.getpid()), tree_rss(os.getpid())
    assert 0 < pss <= rss
