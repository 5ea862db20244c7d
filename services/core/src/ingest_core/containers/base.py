"""What every container reader shares: the upload, its parts, the limits, the reader shape.

A reader is one module with one object: ``matches(upload)`` says whether an upload is of its
kind (name, declared type, first bytes), ``split(upload, limits)`` yields its documents as
``Part``s (byte ranges of the stored upload, or refusals with a reason), and ``codecs`` maps
the codecs it gives its parts to the function that turns a part's bytes into a document
(``open``). The table in ``ingest_core.containers`` lists the readers; nothing else does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, ClassVar

from ingest_core.settings import Settings
from ingest_core.tasks import BatchDocument, Codec, Hints, Locator

CHUNK = 1024 * 1024
MEMBER_SEPARATOR = "!"  # archive.zip!member: one level of nesting per "!"
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_members: int
    max_expanded_bytes: int
    max_ratio: float
    max_parse_bytes: int = 64 * 1024 * 1024
    max_seconds: float = 60.0
    max_depth: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_file_bytes=settings.max_file_bytes,
            max_members=settings.max_archive_members,
            max_expanded_bytes=settings.max_archive_expanded_bytes,
            max_ratio=settings.max_archive_ratio,
            max_parse_bytes=settings.max_container_parse_bytes,
            max_seconds=settings.container_time_limit,
            max_depth=settings.max_nesting_depth,
        )


@dataclass
class Upload:
    """One uploaded file: a seekable file object, measured once."""

    filename: str | None
    content_type: str | None
    fileobj: IO[bytes]
    size: int = 0
    sha256: str = ""

    def measure(self) -> None:
        digest = hashlib.sha256()
        size = 0
        self.fileobj.seek(0)
        while chunk := self.fileobj.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        self.fileobj.seek(0)
        self.size, self.sha256 = size, digest.hexdigest()

    @property
    def name(self) -> str:
        """The lower-cased file name, for suffix tests."""
        return (self.filename or "").lower()

    @property
    def media_type(self) -> str:
        """The declared media type without parameters, lower-cased."""
        return (self.content_type or "").split(";")[0].strip().lower()

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        self.fileobj.seek(0)
        data = self.fileobj.read(size)
        self.fileobj.seek(0)
        return data


@dataclass(frozen=True)
class Part:
    """One document to be: where its bytes are in the stored upload, or why it was refused.

    ``source`` is the stored object the range is of when it is not the upload itself: a
    container inside an archive (a WARC in a zip) is stored as its own object, and its items
    are ranges of that object.
    """

    filename: str | None
    content_type: str | None
    offset: int = 0
    length: int = 0
    codec: Codec = "identity"
    size: int | None = None
    rejected_reason: str | None = None
    index: int | None = None
    source: Upload | None = field(default=None, compare=False, repr=False)

    def locator(self, raw_key: str) -> Locator:
        return Locator(
            raw_key=raw_key,
            offset=self.offset,
            length=self.length,
            codec=self.codec,
            size=self.size,
            index=self.index,
        )

    def to_batch_document(self, doc_id: str, raw_key: str) -> BatchDocument:
        return BatchDocument(
            doc_id=doc_id,
            filename=self.filename,
            content_type=self.content_type,
            locator=self.locator(raw_key),
        )


class Prepared:
    """What to store for an upload: itself, or a compressed tar's tar (so members are ranges)."""

    def __init__(self, upload: Upload, problem: str | None = None) -> None:
        self.upload = upload
        self.problem = problem


class Unreadable(Exception):
    """The member cannot be read as a document: rejected with this reason."""

    def __init__(self, reason: str, hints: Hints | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hints = hints or Hints()


@dataclass(frozen=True)
class Opened:
    raw: bytes
    content_type: str | None
    hints: Hints


Opener = Callable[[BatchDocument, bytes, int], Opened]
"""A codec's decoder: (the document, its range's bytes, the largest document) → the document."""


class Reader:
    """A container reader; subclasses set ``kind`` and override what they need."""

    kind: ClassVar[str] = "single"
    archive: ClassVar[bool] = False
    """Its members may themselves be containers (expanded, to ``Limits.max_depth`` levels)."""

    def matches(self, upload: Upload) -> bool:
        raise NotImplementedError

    def prepare(self, upload: Upload, limits: Limits) -> Prepared:
        """What to store: the upload itself unless the reader needs another shape of it."""
        return Prepared(upload)

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        raise NotImplementedError

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {}


class Deadline:
    """A wall-clock budget for splitting one upload; checked between items."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self.end

    @property
    def reason(self) -> str:
        return f"reading the container took longer than {self.seconds:g}s"


def member_name(container: str | None, member: str) -> str:
    return f"{container or 'upload'}{MEMBER_SEPARATOR}{member}"


def too_large(name: str | None, size: int, limits: Limits) -> Part:
    return Part(name, None, rejected_reason=f"file too large: {size} bytes (limit {limits.max_file_bytes})")


def refused(upload: Upload, reason: str) -> Part:
    """The whole upload as one rejected document."""
    return Part(upload.filename, upload.content_type, rejected_reason=reason)


def archive_problem(upload: Upload, members: int, expanded: int, limits: Limits) -> str | None:
    if members > limits.max_members:
        return f"archive has {members} members (limit {limits.max_members})"
    if expanded > limits.max_expanded_bytes:
        return f"archive expands to {expanded} bytes (limit {limits.max_expanded_bytes})"
    if upload.size and expanded / upload.size > limits.max_ratio:
        return (
            f"archive compression ratio {expanded / upload.size:.0f}:1 exceeds "
            f"{limits.max_ratio:.0f}:1 (possible zip bomb)"
        )
    return None


def read_range(fileobj: IO[bytes], offset: int, length: int) -> bytes:
    fileobj.seek(offset)
    return fileobj.read(length)
