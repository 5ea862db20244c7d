"""Near-duplicates processed at the same moment by several worker processes: one record each."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_devstack.servers import Worker

pytestmark = pytest.mark.integration


def _variants(text: str, rng: random.Random) -> list[str]:
    """The edits a news archive sees: new chrome, truncation, light edits, OCR-like noise."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    body = "\n\n".join(paragraphs)
    noisy = "".join(ch if rng.random() > 0.01 or not ch.isalpha() else ch.swapcase() for ch in body)
    return [
        body,
        "HOME | WORLD | BUSINESS | SPORT\nShare on Facebook\n\n"
        + body
        + "\n\nFollow us on Twitter\n© 2024 Daily Planet",
        "Syndicated from our partners\n\n" + body + "\n\nRead more: subscribe to the newsletter",
        "\n\n".join(paragraphs[:-1]),
        body.replace(" said ", " stated ", 2).replace(" the ", " a ", 1),
        noisy,
    ]


@pytest.fixture
def second_worker(stack_env: dict[str, str], servers_dir: Path) -> Iterator[Worker]:
    process = Worker(stack_env, servers_dir / "logs", name="worker-b", concurrency=2)
    process.start()
    yield process
    process.stop()


def test_near_duplicates_racing_on_several_workers_give_one_record_per_cluster(
    api: httpx.Client,
    second_worker: Worker,
    collection: str,
    wait_job: Callable[..., dict[str, Any]],
    distinct_articles: list[bytes],
) -> None:
    rng = random.Random(20261123)
    stories = [body.decode() for body in distinct_articles]
    files = []
    cluster_of: dict[str, int] = {}
    for cluster, story in enumerate(stories):
        for number, text in enumerate(_variants(story, rng)):
            name = f"c{cluster}-v{number}.txt"
            cluster_of[name] = cluster
            files.append(("files", (name, text.encode(), "text/plain")))
    rng.shuffle(files)
    # One upload per file, so the documents arrive as separate tasks spread over 4 processes.
    job_ids = [
        api.post("/v1/documents", files=[f], data={"collection": collection}).json()["id"] for f in files
    ]
    documents = [doc for job_id in job_ids for doc in wait_job(api, job_id)["documents"]]

    stored: dict[int, list[str]] = defaultdict(list)
    for doc in documents:
        assert doc["status"] in {"stored", "duplicate"}, doc
        if doc["status"] == "stored":
            stored[cluster_of[doc["filename"]]].append(doc["record_id"])
    assert {cluster: len(ids) for cluster, ids in stored.items()} == {0: 1, 1: 1, 2: 1}
    for doc in documents:
        if doc["status"] == "duplicate":
            assert doc["duplicate_of"] == stored[cluster_of[doc["filename"]]][0], doc
