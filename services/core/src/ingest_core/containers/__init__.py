"""Multi-document uploads split into byte ranges of the stored upload, by one table of readers.

An upload is stored once, as sent; each document it holds is a ``Locator`` into it, so a
worker reads a whole batch of documents with one ranged GET and decodes each member with
``open_document``. The API (fan-out at upload) and ``ingest process`` (offline) both split
with this module, so the same file gives the same documents online and offline.

``READERS`` is the table: the first reader whose ``matches`` says yes splits the upload; an
upload no reader claims is one document (a leaf format the worker's pipeline reads). Adding
a container format is one module with a ``Reader`` and one entry here.

Formats nest. A member of an archive or an e-mail attachment that a reader would claim (a
WARC, a zip, an e-mail, a feed inside a zip; a zip attached to an e-mail) is decoded, stored
as its own object, and split in turn; its documents are ranges of that object. Nesting is
bounded for the whole upload: ``Limits.max_depth`` containers deep, ``Limits.max_members``
documents and ``Limits.max_expanded_bytes`` bytes in all, one ``Limits.max_seconds`` budget.
Past a bound, the container (or the rest of the upload) is one rejected document saying why.

Every limit (member size, member count, expanded size, compression ratio, parse size, time)
turns the offending item into a rejected part with a reason, so one bad member never fails
the rest of its upload.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO, cast

from ingest_core.containers.base import (
    CHUNK,
    MEMBER_SEPARATOR,
    Deadline,
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
from ingest_core.containers.mail import MailReader
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
    MailReader(),  # last: besides its name and type it sniffs a header block
)
"""Order matters only where two could claim one upload: the first that matches wins."""

CODECS: Mapping[Codec, Opener] = {
    codec: opener for reader in READERS for codec, opener in reader.codecs.items()
}

# Members no reader claims by name or type but one may by content: opened to see.
_SNIFFED_SUFFIXES = (".xml", ".feed")


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
    return list(_walk(upload, reader, limits, _Budget(limits), depth=1))


@dataclass
class _Budget:
    """What nesting may still spend for one upload: documents, decoded bytes and time."""

    limits: Limits
    documents: int = 0
    expanded: int = 0
    deadline: Deadline = field(init=False)
    stopped: bool = False

    def __post_init__(self) -> None:
        self.deadline = Deadline(self.limits.max_seconds)


def _walk(upload: Upload, reader: Reader, limits: Limits, budget: _Budget, depth: int) -> Iterator[Part]:
    """The parts of ``upload`` at nesting ``depth`` (its members' own), containers expanded."""
    for part in reader.split(upload, limits):
        if budget.stopped:
            return
        if depth > 1 or reader.archive:  # a nested upload's documents count toward the whole
            problem = _over_budget(part, budget, limits)
            if problem:
                budget.stopped = True
                yield Part(part.filename, None, rejected_reason=problem)
                return
        # A part named as its upload is the upload's own document (an e-mail's body), no member.
        member = part.filename != upload.filename
        if reader.archive and member and part.rejected_reason is None and _may_nest(part):
            yield from _expand(upload, part, limits, budget, depth)
        else:
            yield part


def _over_budget(part: Part, budget: _Budget, limits: Limits) -> str | None:
    budget.documents += 1
    budget.expanded += part.size or part.length
    rest = "nested containers included; the rest is not read"
    if budget.documents > limits.max_members:
        return f"upload holds more than {limits.max_members} documents, {rest}"
    if budget.expanded > limits.max_expanded_bytes:
        return f"upload expands to more than {limits.max_expanded_bytes} bytes, {rest}"
    if budget.deadline.expired():
        return f"{budget.deadline.reason}, {rest}"
    return None


def _may_nest(part: Part) -> bool:
    """Whether a member may be a container: a reader claims its name or type, or may its content."""
    return _claimed(part) or _member_name(part).lower().endswith(_SNIFFED_SUFFIXES)


def _claimed(part: Part) -> bool:
    """A reader claims the member by its name or declared type alone (no bytes read)."""
    return reader_for(Upload(_member_name(part), part.content_type, io.BytesIO())) is not None


def _member_name(part: Part) -> str:
    return (part.filename or "").rpartition(MEMBER_SEPARATOR)[2]


def _expand(upload: Upload, part: Part, limits: Limits, budget: _Budget, depth: int) -> list[Part]:
    """A member that is a container: its documents, as ranges of the member stored alone."""
    if depth >= limits.max_depth:
        if not _claimed(part):  # only its content could say it is a container: a leaf here
            return [part]
        reason = f"nested too deeply: a container inside {depth} containers (limit {limits.max_depth} levels)"
        return [Part(part.filename, None, rejected_reason=reason)]
    data = read_range(upload.fileobj, part.offset, part.length)
    upload.fileobj.seek(0)
    try:
        opened = open_document(part.to_batch_document("", ""), data, limits.max_file_bytes)
    except Unreadable as exc:
        return [Part(part.filename, None, rejected_reason=exc.reason)]
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (kept by the parts)
    spool.write(opened.raw)
    inner = Upload(part.filename, opened.content_type, cast(IO[bytes], spool))
    inner.measure()
    reader = reader_for(inner)
    if reader is None:  # a .xml that is no feed: the member stays one document
        spool.close()
        return [part]
    budget.documents -= 1  # the container is not a document: its own documents count instead
    budget.expanded -= part.size or part.length
    parts = list(_walk(inner, reader, limits, budget, depth + 1))
    if len(parts) == 1 and parts[0] == Part(inner.filename, inner.content_type, 0, inner.size):
        spool.close()  # an e-mail without attachments: one document, read from where it was
        return [part]
    return [item if item.rejected_reason or item.source else replace(item, source=inner) for item in parts]


def open_document(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """The document's own bytes from its range, decoded by its codec, with its hints."""
    codec = doc.locator.codec
    if codec == "identity":
        return Opened(data, doc.content_type, Hints())
    opener = CODECS.get(codec)
    if opener is None:
        raise Unreadable(f"unknown codec {codec!r}")
    return opener(doc, data, max_bytes)
