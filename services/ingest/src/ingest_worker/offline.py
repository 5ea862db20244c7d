"""``ingest process``: the worker's pipeline over local files, no servers needed.

Prints one JSON object per input document, in input order. Dedup uses an in-memory index
with the same algorithm as the shared Redis index.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest_core.containers import Limits, Part, Unreadable, Upload, open_document, prepare, read_range, split
from ingest_core.ids import new_id
from ingest_core.schema import DocStatus
from ingest_core.settings import Settings
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
    """Each file split exactly as the API splits an upload (``ingest_core.containers``)."""
    limits = Limits.from_settings(Settings())
    for path in expand_paths(paths):
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield OfflineItem(str(path), None, None, error=f"cannot read file: {exc.strerror or exc}")
            continue
        with handle:
            upload = Upload(path.name, None, handle)
            upload.measure()
            prepared = prepare(upload, limits)
            if prepared.problem:
                yield OfflineItem(str(path), None, None, error=prepared.problem)
                continue
            stored = prepared.upload
            for part in split(stored, limits):
                yield _offline_item(path, stored, part, collection, limits)


def _offline_item(path: Path, stored: Upload, part: Part, collection: str, limits: Limits) -> OfflineItem:
    label = str(path.parent / part.filename) if part.filename else str(path)
    if part.rejected_reason:
        return OfflineItem(label, None, None, error=part.rejected_reason)
    source = part.source or stored  # a container inside an archive is an object of its own
    key = str(path) if part.source is None else f"{path}#{source.sha256}"
    doc = part.to_batch_document("", key)
    try:
        opened = open_document(
            doc, read_range(source.fileobj, part.offset, part.length), limits.max_file_bytes
        )
    except Unreadable as exc:
        return OfflineItem(label, exc.hints.external_id, None, error=exc.reason)
    item = DocumentInput(
        raw=opened.raw,
        collection=collection,
        filename=part.filename,
        content_type=opened.content_type,
        hints=opened.hints,
    )
    return OfflineItem(label, opened.hints.external_id, item)


def run_offline(
    paths: Iterable[str], *, collection: str = "default", dedup: bool = True
) -> Iterator[dict[str, Any]]:
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
