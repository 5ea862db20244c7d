"""Records: one by id, or the feed of a collection in ingestion order."""

from __future__ import annotations

import functools
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from ingest_api.deps import Authorized, ScopeDep, ServicesDep
from ingest_api.errors import AUTH_RESPONSES, error_responses
from ingest_api.examples import FEED, RECORD, json_example
from ingest_core.errors import BadRequest, NotFound
from ingest_core.feed import ensure_feed
from ingest_core.ids import is_id
from ingest_core.keys import record_collection_from_key, record_key, valid_collection
from ingest_core.schema import FeedPage, Record, record_json_schema

router = APIRouter(prefix="/v1", tags=["records"], dependencies=[Authorized])
_FETCHERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="record-fetch")
_CURSOR = re.compile(r"(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})")  # a Redis stream id, "ms-seq"
_U64_MAX = 2**64 - 1


@router.get(
    "/records/{record_id}",
    response_model=Record,
    responses={200: json_example(RECORD), **error_responses(404)},
)
async def get_record(
    record_id: str,
    services: ServicesDep,
    scope: ScopeDep,
    collection: Annotated[str | None, Query(description="Speeds up lookup; needed if Redis lost it")] = None,
) -> Response:
    """One record of this tenant's; another tenant's answers 404, as if it did not exist."""
    missing = NotFound(f"no record {record_id}", details={"record_id": record_id})
    if not is_id(record_id):
        raise missing
    hinted = None
    if collection and valid_collection(collection):
        hinted = record_key(scope.internal(collection), record_id)

    def read() -> bytes:  # one thread hop: where the record is, then the record
        key = services.jobs.record_key(record_id) or hinted
        if key is None:
            raise missing
        internal = record_collection_from_key(key)
        public = scope.public(internal, missing)  # another tenant's: 404 before any read
        try:
            return _as_seen(services.reads.get(key), internal, public)
        except NotFound:
            raise missing from None

    return _json(await run_in_threadpool(read))


@router.get(
    "/records", response_model=FeedPage, responses={200: json_example(FEED), **error_responses(400, 404, 422)}
)
async def feed(
    services: ServicesDep,
    scope: ScopeDep,
    collection: Annotated[str, Query(description="Collection to follow")] = "default",
    after: Annotated[str | None, Query(description="Cursor from a previous page's `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Records in ingestion order. ``next`` is the cursor to continue from, also when a page
    is short, so a consumer can poll with it for what arrives later."""
    if not valid_collection(collection):
        raise BadRequest("invalid collection name", details={"collection": collection})
    if after is not None and not _valid_cursor(after):
        raise BadRequest(
            "invalid cursor: pass the `next` value of a previous page unchanged",
            details={"after": after[:100]},
        )
    if after is not None and after == f"{_U64_MAX}-{_U64_MAX}":  # nothing can come after the last id
        return _json(json.dumps({"items": [], "next": after}).encode())
    internal = scope.internal(collection)

    def read() -> tuple[list[tuple[str, str, str]], list[bytes]]:  # one thread hop
        # A feed Redis lost is rebuilt from the bucket first, with the same cursors (ingest_core.feed).
        ensure_feed(services.jobs, services.store, internal)
        rows = services.jobs.feed(internal, after, limit)
        return rows, list(_FETCHERS.map(services.reads.get, [key for _, _, key in rows]))

    try:
        rows, bodies = await run_in_threadpool(read)
    except NotFound:
        raise NotFound(
            "a record listed in this feed page is missing from storage", details={"collection": collection}
        ) from None
    next_cursor = rows[-1][0] if rows else after
    items = b",".join(_as_seen(body, internal, collection) for body in bodies)
    return _json(b'{"items":[' + items + b'],"next":' + json.dumps(next_cursor).encode() + b"}")


@router.get(
    "/schema/record",
    tags=["schema"],
    responses={
        200: json_example({"title": "Record", "type": "object", "properties": {"id": {"type": "string"}}}),
        **AUTH_RESPONSES,
    },
)
async def record_schema() -> Response:
    """JSON Schema of the record (schema v1), generated from the models workers write."""
    return _json(_record_schema_body())


@functools.cache
def _record_schema_body() -> bytes:
    """Generated once per process: pydantic takes ~9 ms to build it, and it never changes."""
    return json.dumps(record_json_schema()).encode()


def _as_seen(body: bytes, internal: str, public: str) -> bytes:
    """A stored record as its tenant sees it, under the tenant's own collection name.

    Records are stored as the record model's JSON, so where the two names agree the stored
    bytes are the answer: parsing and validating them again cost more than reading them.
    """
    if internal == public:
        return body
    record = Record.model_validate_json(body).model_copy(update={"collection": public})
    return record.model_dump_json().encode()


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _valid_cursor(cursor: str) -> bool:
    """A Redis stream id as the feed hands them out: "ms-seq", both parts unsigned 64-bit."""
    match = _CURSOR.fullmatch(cursor)
    return match is not None and all(int(part) <= _U64_MAX for part in match.groups())
