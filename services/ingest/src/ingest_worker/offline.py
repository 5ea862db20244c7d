"""``ingest process``: the worker's pipeline over local files, no servers needed.

Prints one JSON object per input document, in input order. Dedup uses an in-memory index
with the same algorithm as the shared Redis index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest_core.ids import new_id
from ingest_core.schema import DocStatus

from ingest_worker.pipeline import StageContext, build_pipeline
from ingest_worker.process import DocumentInput, Outcome, process_document


@dataclass(frozen=True)
class OfflineItem:
    label: str
    external_id: str | None
    item: DocumentInput | None
    error: str | None = None


def make_offline_context(*, dedup: bool) -> StageContext:
    from ingest_worker.pipeline.context import memory_context

    ctx = memory_context()
    ctx.dedup_enabled = dedup
    return ctx


def expand_paths(paths: Iterable[str]) -> Iterator[Path]:
    """Files as given; folders walked in sorted order, hidden files skipped."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def read_items(paths: Iterable[str], collection: str) -> Iterator[OfflineItem]:
    for path in expand_paths(paths):
        if path.suffix.lower() == ".jsonl":
            yield from _jsonl_items(path, collection)
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            yield OfflineItem(str(path), None, None, error=f"cannot read file: {exc.strerror or exc}")
            continue
        yield OfflineItem(str(path), None, DocumentInput(raw=raw, collection=collection, filename=path.name))


def _jsonl_items(path: Path, collection: str) -> Iterator[OfflineItem]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield OfflineItem(str(path), None, None, error=f"cannot read file: {exc.strerror or exc}")
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            label = f"{path}:{number}"
            item, external_id, error = jsonl_article(line, collection, default_name=f"{path.name}:{number}")
            yield OfflineItem(label, external_id, item, error=error)


def jsonl_article(
    line: bytes, collection: str, *, default_name: str
) -> tuple[DocumentInput | None, str | None, str | None]:
    """One JSON Lines article object → a document, or the reason it is not one."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, None, f"invalid JSON: {exc}"
    if not isinstance(obj, dict):
        return None, None, "a JSON Lines article must be an object"
    external_id = str(obj["id"]) if obj.get("id") is not None else None
    html, text = obj.get("html"), obj.get("text")
    if not isinstance(html, str) and not isinstance(text, str):
        return None, external_id, "article object has neither 'text' nor 'html'"
    body = html if isinstance(html, str) else text
    assert isinstance(body, str)
    item = DocumentInput(
        raw=body.encode("utf-8"),
        collection=collection,
        filename=external_id or default_name,
        content_type="text/html" if isinstance(html, str) else "text/plain",
        source_url=_str_or_none(obj.get("url")),
        title=_str_or_none(obj.get("title")),
        published_at=_str_or_none(obj.get("published_at")),
        language=_str_or_none(obj.get("language")),
        source_name=_str_or_none(obj.get("source_name") or obj.get("site_name")),
    )
    return item, external_id, None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def run_offline(paths: Iterable[str], *, collection: str = "default", dedup: bool = True) -> Iterator[dict[str, Any]]:
    pipeline = build_pipeline()
    ctx = make_offline_context(dedup=dedup)
    for entry in read_items(paths, collection):
        if entry.item is None:
            outcome = Outcome(status=DocStatus.rejected, error=entry.error)
        else:
            try:
                outcome = process_document(entry.item, pipeline, ctx, record_id=new_id())
            except Exception as exc:  # a bug must not stop the batch: report and go on
                outcome = Outcome(status=DocStatus.failed, error=f"{type(exc).__name__}: {exc}")
        yield {
            "input": entry.label,
            "external_id": entry.external_id,
            "status": outcome.status.value,
            "record": outcome.record.model_dump(mode="json") if outcome.record else None,
            "duplicate_of": outcome.duplicate_of,
            "similarity": outcome.similarity,
            "error": outcome.error,
        }

