"""Multi-document uploads (JSON Lines, zip, tar) split into byte ranges of the stored upload.

An upload is stored once, as sent; each document it holds is a ``Locator`` into it, so a
worker reads a whole batch of documents with one ranged GET and decodes each member with
``open_document``. The API (fan-out at upload) and ``ingest process`` (offline) both split
with this module, so the same file gives the same documents online and offline.

Every limit (member size, member count, expanded size, compression ratio) turns the offending
item into a rejected part with a reason, so one bad member never fails the rest of its upload.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from ingest_core.formats import JsonlError, is_jsonl, parse_jsonl_article
from ingest_core.settings import Settings
from ingest_core.tasks import BatchDocument, Codec, Hints, Locator

_CHUNK = 1024 * 1024
_RATIO_FLOOR = 1024 * 1024  # a small tar is mostly padding: the ratio test starts past this
MEMBER_SEPARATOR = "!"  # archive.zip!member: one level of nesting per "!"

_ZIP_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_ZIP_STORED, _ZIP_DEFLATED = 0, 8


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_members: int
    max_expanded_bytes: int
    max_ratio: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_file_bytes=settings.max_file_bytes,
            max_members=settings.max_archive_members,
            max_expanded_bytes=settings.max_archive_expanded_bytes,
            max_ratio=settings.max_archive_ratio,
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
        while chunk := self.fileobj.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        self.fileobj.seek(0)
        self.size, self.sha256 = size, digest.hexdigest()


@dataclass(frozen=True)
class Part:
    """One document to be: where its bytes are in the stored upload, or why it was refused."""

    filename: str | None
    content_type: str | None
    offset: int = 0
    length: int = 0
    codec: Codec = "identity"
    size: int | None = None
    rejected_reason: str | None = None

    def locator(self, raw_key: str) -> Locator:
        return Locator(
            raw_key=raw_key, offset=self.offset, length=self.length, codec=self.codec, size=self.size
        )

    def to_batch_document(self, doc_id: str, raw_key: str) -> BatchDocument:
        return BatchDocument(
            doc_id=doc_id,
            filename=self.filename,
            content_type=self.content_type,
            locator=self.locator(raw_key),
        )


def member_name(container: str | None, member: str) -> str:
    return f"{container or 'upload'}{MEMBER_SEPARATOR}{member}"


def kind_of(upload: Upload) -> str:
    """zip | tar | jsonl | single, from the name, the declared type and the first bytes."""
    name = (upload.filename or "").lower()
    ctype = (upload.content_type or "").split(";")[0].strip().lower()
    if name.endswith(".zip") or ctype in {"application/zip", "application/x-zip-compressed"}:
        return "zip"
    if name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")) or ctype in {
        "application/x-tar",
        "application/x-gtar",
    }:
        return "tar"
    if is_jsonl(upload.filename, upload.content_type):
        return "jsonl"
    return "single"


class Prepared:
    """What to store for an upload: itself, or a compressed tar's tar (so members are ranges)."""

    def __init__(self, upload: Upload, problem: str | None = None) -> None:
        self.upload = upload
        self.problem = problem


def prepare(upload: Upload, limits: Limits) -> Prepared:
    """Decompresses a .tar.gz/.tar.bz2/.tar.xz into a bounded temporary file; others as they are."""
    if kind_of(upload) != "tar":
        return Prepared(upload)
    upload.fileobj.seek(0)
    magic = upload.fileobj.read(6)
    upload.fileobj.seek(0)
    opener: Callable[[IO[bytes]], Any] | None = None
    if magic.startswith(b"\x1f\x8b"):
        opener = _open_gzip
    elif magic.startswith(b"BZh"):
        opener = bz2.BZ2File
    elif magic.startswith(b"\xfd7zXZ\x00"):
        opener = lzma.LZMAFile
    if opener is None:
        return Prepared(upload)
    out = tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK)  # noqa: SIM115 (returned to the caller)
    expanded = 0
    try:
        with opener(upload.fileobj) as stream:
            while chunk := stream.read(_CHUNK):
                expanded += len(chunk)
                if expanded > limits.max_expanded_bytes:
                    out.close()
                    return Prepared(upload, f"archive expands to more than {limits.max_expanded_bytes} bytes")
                if expanded > _RATIO_FLOOR and upload.size and expanded / upload.size > limits.max_ratio:
                    out.close()
                    return Prepared(
                        upload,
                        f"archive compression ratio exceeds {limits.max_ratio:.0f}:1 (possible bomb)",
                    )
                out.write(chunk)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        out.close()
        return Prepared(upload, f"corrupt compressed archive: {exc}")
    tar = Upload(upload.filename, "application/x-tar", cast(IO[bytes], out))
    tar.measure()
    return Prepared(tar)


def _open_gzip(fileobj: IO[bytes]) -> gzip.GzipFile:
    return gzip.GzipFile(fileobj=fileobj, mode="rb")


def split(upload: Upload, limits: Limits) -> list[Part]:
    """One (prepared) upload → the documents it holds, as ranges of it."""
    kind = kind_of(upload)
    if kind == "zip":
        return list(_split_zip(upload, limits))
    if kind == "tar":
        return list(_split_tar(upload, limits))
    if kind == "jsonl":
        return list(_split_jsonl(upload, limits))
    if upload.size > limits.max_file_bytes:
        return [_too_large(upload.filename, upload.size, limits)]
    return [Part(upload.filename, upload.content_type, 0, upload.size)]


def _too_large(name: str | None, size: int, limits: Limits) -> Part:
    return Part(name, None, rejected_reason=f"file too large: {size} bytes (limit {limits.max_file_bytes})")


def _archive_problem(upload: Upload, members: int, expanded: int, limits: Limits) -> str | None:
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


def _split_zip(upload: Upload, limits: Limits) -> Iterator[Part]:
    try:
        archive = zipfile.ZipFile(upload.fileobj)
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield Part(upload.filename, upload.content_type, rejected_reason=f"corrupt zip archive: {exc}")
        return
    problem = _archive_problem(upload, len(infos), sum(i.file_size for i in infos), limits)
    if problem:
        yield Part(upload.filename, upload.content_type, rejected_reason=problem)
        return
    for info in infos:
        name = member_name(upload.filename, info.filename)
        if info.file_size > limits.max_file_bytes:
            yield _too_large(name, info.file_size, limits)
        elif info.flag_bits & 0x1:
            yield Part(name, None, rejected_reason="encrypted archive member")
        elif info.compress_type not in (_ZIP_STORED, _ZIP_DEFLATED):
            yield Part(name, None, rejected_reason=f"unsupported zip compression method {info.compress_type}")
        else:
            offset = _zip_data_offset(upload.fileobj, info)
            if offset is None or offset + info.compress_size > upload.size:
                yield Part(name, None, rejected_reason="unreadable archive member: bad local header")
                continue
            codec: Codec = "identity" if info.compress_type == _ZIP_STORED else "deflate"
            yield Part(name, None, offset, info.compress_size, codec, info.file_size)


def _zip_data_offset(fileobj: IO[bytes], info: zipfile.ZipInfo) -> int | None:
    """Where a member's data starts: after its local header, whose extra field may differ."""
    fileobj.seek(info.header_offset)
    head = fileobj.read(_ZIP_LOCAL_HEADER.size)
    fileobj.seek(0)
    if len(head) < _ZIP_LOCAL_HEADER.size:
        return None
    fields = _ZIP_LOCAL_HEADER.unpack(head)
    if fields[0] != b"PK\x03\x04":
        return None
    return int(info.header_offset + _ZIP_LOCAL_HEADER.size + fields[9] + fields[10])


def _split_tar(upload: Upload, limits: Limits) -> Iterator[Part]:
    try:
        upload.fileobj.seek(0)
        archive = tarfile.open(fileobj=upload.fileobj, mode="r:")  # noqa: SIM115 (reads a caller's file)
        infos = [info for info in archive.getmembers() if info.isfile()]
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield Part(upload.filename, upload.content_type, rejected_reason=f"corrupt tar archive: {exc}")
        return
    problem = _archive_problem(upload, len(infos), sum(i.size for i in infos), limits)
    # A tar's own size is its expanded size: the ratio test is for the compressed original.
    if problem and "ratio" not in problem:
        yield Part(upload.filename, upload.content_type, rejected_reason=problem)
        return
    for info in infos:
        name = member_name(upload.filename, info.name)
        if info.size > limits.max_file_bytes:
            yield _too_large(name, info.size, limits)
        elif info.offset_data + info.size > upload.size:
            yield Part(name, None, rejected_reason="unreadable archive member: truncated archive")
        else:
            yield Part(name, None, info.offset_data, info.size)


def _split_jsonl(upload: Upload, limits: Limits) -> Iterator[Part]:
    if upload.size > limits.max_expanded_bytes:
        yield Part(upload.filename, upload.content_type, rejected_reason="JSON Lines batch too large")
        return
    upload.fileobj.seek(0)
    offset = 0
    for number, line in enumerate(upload.fileobj, start=1):
        start, offset = offset, offset + len(line)
        body = line.rstrip(b"\r\n")
        if not body.strip():
            continue
        name = member_name(upload.filename or "batch.jsonl", str(number))
        if len(body) > limits.max_file_bytes:
            yield _too_large(name, len(body), limits)
            continue
        yield Part(name, None, start, len(body), "jsonl")
    upload.fileobj.seek(0)


# --- the worker's side: one member's bytes from its range ---------------------------------


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


def open_document(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """The document's own bytes from its range, decoded; JSON Lines gives its hints too."""
    codec = doc.locator.codec
    if codec == "deflate":
        inflater = zlib.decompressobj(-15)
        try:
            raw = inflater.decompress(data, max_bytes + 1)
        except zlib.error as exc:
            raise Unreadable(f"unreadable archive member: {exc}") from None
        if len(raw) > max_bytes:
            raise Unreadable(f"file too large: more than {max_bytes} bytes")
        return Opened(raw, doc.content_type, Hints())
    if codec == "jsonl":
        try:
            article = parse_jsonl_article(data)
        except JsonlError as exc:
            raise Unreadable(exc.reason, Hints(external_id=exc.external_id)) from None
        hints = Hints(
            title=article.title,
            source_url=article.url,
            source_name=article.source_name,
            language=article.language,
            published_at=article.published_at,
            external_id=article.external_id,
        )
        return Opened(article.body.encode("utf-8"), article.content_type, hints)
    return Opened(data, doc.content_type, Hints())


def read_range(fileobj: IO[bytes], offset: int, length: int) -> bytes:
    fileobj.seek(offset)
    return fileobj.read(length)
