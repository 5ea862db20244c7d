"""Redis cost of the dedup index as it fills with *related* articles (shared sentences).

    .venv/bin/python -m bench.dedup.related_scale [--docs N] [--window W] [--batch B]

``bench.dedup.run --scale`` indexes unrelated articles: no candidates, one round trip each.
News is not like that: follow-ups and wire copies share sentences, their bands meet, and each
such article ends a batch script call. Here the articles come from ``bench.throughput.corpus``
(real sentences from the trafilatura-eval pages, drawn from shared pools), go through
``RedisDedupIndex.check_and_add_many`` in batches as a worker sends them, and every window of
W articles reports Redis CPU (the server process, from /proc) and the client's CPU per article,
round trips, and Redis's own command statistics. The first window is the baseline: the
figures that matter are how the later windows compare with it. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from bench.dedup.server import valkey_server_with_pid
from bench.throughput import procs
from bench.throughput.corpus import generate, real_pools
from ingest_worker.pipeline.dedup import DedupItem, RedisDedupIndex, fingerprint


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=15_000)
    parser.add_argument("--window", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=64, help="articles per call, as a worker's chunk")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    articles = generate(args.docs, seed=args.seed, pools=real_pools(), prefix="s")
    items = []
    for article in articles:
        body = article.as_txt()
        items.append(DedupItem(article.id, hashlib.sha256(body.encode()).hexdigest(), fingerprint(body)))
    rows = []
    with valkey_server_with_pid() as (client, pid):
        index = RedisDedupIndex(client)
        for start in range(0, args.docs, args.window):
            window = items[start : start + args.window]
            client.config_resetstat()
            cpu, redis_cpu, trips = time.process_time(), procs.tree_cpu(pid), index.round_trips
            for at in range(0, len(window), args.batch):
                index.check_and_add_many("related", window[at : at + args.batch])
            n = len(window)
            used_mb = int(client.info("memory")["used_memory"]) / 1e6
            stats = client.info("commandstats")
            script_ms = sum(v["usec"] for k, v in stats.items() if k.startswith("cmdstat_evalsha")) / 1000
            rows.append(
                f"| {start:,}-{start + n:,} | {(procs.tree_cpu(pid) - redis_cpu) / n * 1000:.2f}"
                f" | {script_ms / n:.2f} | {(time.process_time() - cpu) / n * 1000:.2f}"
                f" | {(index.round_trips - trips) / n:.2f} | {used_mb:.0f} MB |"
            )
    print(
        "| articles | Redis CPU ms/article | in scripts ms/article | client CPU ms/article"
        " | round trips/article | Redis used_memory |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
