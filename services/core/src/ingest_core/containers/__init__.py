"""Multi-document uploads split into byte ranges of the stored upload, by one table of readers.

An upload is stored once, as sent; each document it holds is a ``Locator`` into it, so a
worker reads a whole batch of documents with one ranged GET and decodes each member with
``open_document``. The API (fan-out at upload) and ``ingest process`` (offline) both split
with this module, so the same file gives the same documents online and offline.

``READERS`` is the table: the first reader whose ``matches`` says yes splits the upload; an
upload no reader claims is one document (a leaf format the worker's pipeline reads). Adding
a container format is one module with a ``Reader`` and one entry here. A member of an
archive that is itself a container (a WARC, a feed, JSON Lines or JSON inside a zip or tar)
is expanded one level: it is stored as its own object and its items are ranges of that.

Every limit (member size, member count, expanded size, compression ratio, parse size, time)
turns the offending item into a rejected part with a reason, so one bad member never fails
the rest of its upload.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from typing import IO, cast

from ingest_core.containers.base import (
    CHUNK,
    MEMBER_SEPARATOR,
    Limits,
    Opened,
    Opener,
    Part,
    Prepared,
    Reader,
    Unreadable,
    Upload,
    member_name,
    read_range,
    too_large,
)
from ingest_core.containers.feed import FeedReader
from ingest_core.containers.json_articles import JsonArticlesReader
from ingest_core.containers.json_lines import JsonLinesReader
from ingest_core.containers.tar_archive import TarReader
from ingest_core.containers.warc import WarcReader
from ingest_core.containers.zip_archive import ZipReader
from ingest_core.tasks import BatchDocument, Codec, Hints

__all__ = [
    "CODECS",
    "MEMBER_SEPARATOR",
    "READERS",
    "Limits",
    "Opened",
    "Part",
    "Prepared",
    "Reader",
    "Unreadable",
    "Upload",
    "kind_of",
    "member_name",
    "open_document",
    "prepare",
    "read_range",
    "reader_for",
    "split",
]

READERS: tuple[Reader, ...] = (
    ZipReader(),
    TarReader(),
    WarcReader(),  # before JSON and feeds: a .warc.gz is claimed by its name and magic
    JsonLinesReader(),
    JsonArticlesReader(),
    FeedReader(),
)
"""Order matters only where two could claim one upload: the first that matches wins."""

CODECS: Mapping[Codec, Opener] = {
    codec: opener for reader in READERS for codec, opener in reader.codecs.items()
}

# Archive members worth opening to see whether they are containers themselves.
_NESTED_SUFFIXES = (
    ".warc",
    ".warc.gz",
    ".jsonl",
    ".ndjson",
    ".json",
    ".rss",
    ".atom",
    ".rdf",
    ".feed",
    ".xml",
)


def reader_for(upload: Upload) -> Reader | None:
    return next((reader for reader in READERS if reader.matches(upload)), None)


def kind_of(upload: Upload) -> str:
    """zip | tar | warc | jsonl | json | feed | single, from the name, the type and the first bytes."""
    reader = reader_for(upload)
    return reader.kind if reader else "single"


def prepare(upload: Upload, limits: Limits) -> Prepared:
    """What to store for an upload: itself, or another shape its reader needs (a .tar.gz's tar)."""
    reader = reader_for(upload)
    return reader.prepare(upload, limits) if reader else Prepared(upload)


def split(upload: Upload, limits: Limits) -> list[Part]:
    """One (prepared) upload → the documents it holds, as ranges of it (or of a nested object)."""
    reader = reader_for(upload)
    if reader is None:
        if upload.size > limits.max_file_bytes:
            return [too_large(upload.filename, upload.size, limits)]
        return [Part(upload.filename, upload.content_type, 0, upload.size)]
    parts: list[Part] = []
    for part in reader.split(upload, limits):
        if reader.archive and part.rejected_reason is None and _may_nest(part):
            parts.extend(_expand(upload, part, limits))
        else:
            parts.append(part)
    return parts


def _may_nest(part: Part) -> bool:
    name = (part.filename or "").lower().rpartition(MEMBER_SEPARATOR)[2]
    return name.endswith(_NESTED_SUFFIXES)


def _expand(upload: Upload, part: Part, limits: Limits) -> list[Part]:
    """An archive member that is a container: its items, as ranges of the member stored alone.

    One level only: an archive inside an archive stays one (unreadable) document.
    """
    data = read_range(upload.fileobj, part.offset, part.length)
    upload.fileobj.seek(0)
    try:
        raw = open_document(part.to_batch_document("", ""), data, limits.max_file_bytes).raw
    except Unreadable as exc:
        return [Part(part.filename, None, rejected_reason=exc.reason)]
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (kept by the parts)
    spool.write(raw)
    inner = Upload(part.filename, None, cast(IO[bytes], spool))
    inner.measure()
    reader = reader_for(inner)
    if reader is None or reader.archive:
        spool.close()
        return [part]
    parts = []
    for item in reader.split(inner, limits):
        if item.rejected_reason is None:
            parts.append(replace(item, source=inner))
        else:
            parts.append(item)
    return parts


def open_document(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """The document's own bytes from its range, decoded by its codec, with its hints."""
    codec = doc.locator.codec
    if codec == "identity":
        return Opened(data, doc.content_type, Hints())
    opener = CODECS.get(codec)
    if opener is None:
        raise Unreadable(f"unknown codec {codec!r}")
    return opener(doc, data, max_bytes)
