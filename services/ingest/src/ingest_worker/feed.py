"""``python -m ingest_worker.feed rebuild COLLECTION [--tenant T]``: the feed, back from the bucket.

Readers of ``GET /v1/records`` rebuild a lost feed by themselves (``ingest_core.feed``); this is
the same rebuild by hand, e.g. after restoring Redis from an old snapshot. It runs beside live
workers and readers, keeps every cursor already handed out (see ``ingest_core.feed``) and
prints what it did as one JSON line. ``COLLECTION`` is the tenant's own name; without
``--tenant`` it is the default tenant's (or an internal name such as ``acme~news``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import redis

from ingest_core.feed import rebuild_feed
from ingest_core.jobs import JobStore
from ingest_core.keys import DEFAULT_TENANT, tenant_collection
from ingest_core.settings import get_settings
from ingest_core.storage import ObjectStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest_worker.feed", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild = commands.add_parser("rebuild", help="rebuild a collection's feed from the bucket")
    rebuild.add_argument("collection")
    rebuild.add_argument("--tenant", default=DEFAULT_TENANT)
    args = parser.parse_args(argv)
    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url)
    try:
        store = ObjectStore.from_settings(settings)
        report = rebuild_feed(JobStore(client), store, tenant_collection(args.tenant, args.collection))
    finally:
        client.close()
    sys.stdout.write(json.dumps(dataclasses.asdict(report)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
