"""From an upload to stored raw objects: hashing, limits and fan-out of batches.

Archives (.zip, .tar.gz) and JSON Lines batches become one document each. Every limit that
protects the service (file size, member count, expanded size, compression ratio) turns the
offending item into a ``rejected`` document with a reason, so one bad file never fails the
rest of its batch.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from ingest_core.formats import JsonlError, is_jsonl, parse_jsonl_article
from ingest_core.jobs import NewDocument
from ingest_core.keys import raw_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import DocumentMessage

_CHUNK = 1024 * 1024


@dataclass
class IncomingFile:
    """One uploaded file, spooled by the framework; read once to hash it."""

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


@dataclass
class Part:
    """One document to be: its bytes (or where to read them) and what the uploader said."""

    filename: str | None
    content_type: str | None
    body: bytes | IO[bytes] | None
    size: int
    sha256: str
    rejected_reason: str | None = None
    meta: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class FormMeta:
    collection: str
    source_url: str | None = None
    source_name: str | None = None
    language: str | None = None


def request_fingerprint(collection: str, files: list[IncomingFile]) -> str:
    """What makes two requests "the same body" for Idempotency-Key."""
    digest = hashlib.sha256(collection.encode())
    for item in files:
        digest.update(b"\0" + (item.filename or "").encode() + b"\0" + item.sha256.encode())
    return digest.hexdigest()


def _kind(item: IncomingFile) -> str:
    name = (item.filename or "").lower()
    ctype = (item.content_type or "").split(";")[0].strip().lower()
    if name.endswith(".zip") or ctype in {"application/zip", "application/x-zip-compressed"}:
        return "zip"
    if name.endswith((".tar.gz", ".tgz", ".tar")) or ctype in {"application/x-tar", "application/x-gtar"}:
        return "tar"
    if is_jsonl(item.filename, item.content_type):
        return "jsonl"
    return "single"


def expand(item: IncomingFile, settings: Settings) -> Iterator[Part]:
    """One uploaded file → the documents it holds."""
    kind = _kind(item)
    if kind == "single":
        if item.size > settings.max_file_bytes:
            yield _too_large(item.filename, item.size, settings)
        else:
            yield Part(item.filename, item.content_type, item.fileobj, item.size, item.sha256)
        return
    if kind == "zip":
        yield from _expand_zip(item, settings)
    elif kind == "tar":
        yield from _expand_tar(item, settings)
    else:
        yield from _expand_jsonl(item, settings)


def _too_large(name: str | None, size: int, settings: Settings) -> Part:
    return Part(
        name,
        None,
        None,
        size,
        "",
        rejected_reason=f"file too large: {size} bytes (limit {settings.max_file_bytes})",
    )


def _rejected(name: str | None, reason: str, item: IncomingFile) -> Part:
    return Part(name, item.content_type, None, item.size, item.sha256, rejected_reason=reason)


def _archive_limits(item: IncomingFile, members: int, expanded: int, settings: Settings) -> str | None:
    if members > settings.max_archive_members:
        return f"archive has {members} members (limit {settings.max_archive_members})"
    if expanded > settings.max_archive_expanded_bytes:
        return f"archive expands to {expanded} bytes (limit {settings.max_archive_expanded_bytes})"
    if item.size and expanded / item.size > settings.max_archive_ratio:
        return (
            f"archive compression ratio {expanded / item.size:.0f}:1 exceeds "
            f"{settings.max_archive_ratio:.0f}:1 (possible zip bomb)"
        )
    return None


@dataclass(frozen=True)
class _Member:
    """An archive member as both formats describe it: a name, a declared size, a reader."""

    name: str
    size: int
    read: Callable[[int], bytes]


_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    OSError,
    EOFError,
    NotImplementedError,  # zip compression methods the standard library lacks
    RuntimeError,  # encrypted zip members
)


def _expand_members(item: IncomingFile, members: list[_Member], settings: Settings) -> Iterator[Part]:
    """Checks the archive's limits, then yields each member as a document or a rejection."""
    problem = _archive_limits(item, len(members), sum(m.size for m in members), settings)
    if problem:
        yield _rejected(item.filename, problem, item)
        return
    for member in members:
        name = f"{item.filename or 'archive'}/{member.name}"
        if member.size > settings.max_file_bytes:
            yield _too_large(name, member.size, settings)
            continue
        try:
            data = member.read(settings.max_file_bytes + 1)  # headers may lie: bound the read
        except _MEMBER_ERRORS as exc:
            yield Part(name, None, None, 0, "", rejected_reason=f"unreadable archive member: {exc}")
            continue
        if len(data) > settings.max_file_bytes:
            yield _too_large(name, len(data), settings)
            continue
        yield Part(name, None, data, len(data), hashlib.sha256(data).hexdigest())


def _expand_zip(item: IncomingFile, settings: Settings) -> Iterator[Part]:
    try:
        archive = zipfile.ZipFile(item.fileobj)
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield _rejected(item.filename, f"corrupt zip archive: {exc}", item)
        return

    def reader(info: zipfile.ZipInfo) -> Callable[[int], bytes]:
        def read(limit: int) -> bytes:
            with archive.open(info) as handle:
                return handle.read(limit)

        return read

    members = [_Member(info.filename, info.file_size, reader(info)) for info in infos]
    yield from _expand_members(item, members, settings)


def _expand_tar(item: IncomingFile, settings: Settings) -> Iterator[Part]:
    try:
        archive = tarfile.open(fileobj=item.fileobj, mode="r:*")  # noqa: SIM115 (reads a caller's file)
        infos = [info for info in archive.getmembers() if info.isfile()]
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield _rejected(item.filename, f"corrupt tar archive: {exc}", item)
        return

    def reader(info: tarfile.TarInfo) -> Callable[[int], bytes]:
        def read(limit: int) -> bytes:
            handle = archive.extractfile(info)
            return handle.read(limit) if handle else b""

        return read

    members = [_Member(info.name, info.size, reader(info)) for info in infos]
    yield from _expand_members(item, members, settings)


def _expand_jsonl(item: IncomingFile, settings: Settings) -> Iterator[Part]:
    if item.size > settings.max_archive_expanded_bytes:
        yield _rejected(item.filename, "JSON Lines batch too large", item)
        return
    item.fileobj.seek(0)
    for number, line in enumerate(item.fileobj, start=1):
        if not line.strip():
            continue
        name = f"{item.filename or 'batch.jsonl'}:{number}"
        try:
            article = parse_jsonl_article(line)
        except JsonlError as exc:
            yield Part(name, None, None, len(line), "", rejected_reason=exc.reason)
            continue
        data = article.body.encode("utf-8")
        if len(data) > settings.max_file_bytes:
            yield _too_large(name, len(data), settings)
            continue
        yield Part(
            name,
            article.content_type,
            data,
            len(data),
            hashlib.sha256(data).hexdigest(),
            meta={
                "external_id": article.external_id,
                "title": article.title,
                "source_url": article.url,
                "published_at": article.published_at,
                "language": article.language,
                "source_name": article.source_name,
            },
        )


def store_parts(parts: list[Part], store: ObjectStore, collection: str, *, threads: int = 8) -> None:
    """Writes each accepted part under its content address; existing objects are kept."""

    def put(part: Part) -> None:
        if part.rejected_reason or part.body is None:
            return
        body = part.body
        if not isinstance(body, bytes):
            body.seek(0)
        store.put_if_absent(
            raw_key(collection, part.sha256),
            body,
            content_type=part.content_type or "application/octet-stream",
        )

    if len(parts) == 1:
        put(parts[0])
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, parts))


def plan_documents(parts: list[Part], collection: str) -> list[NewDocument]:
    return [
        NewDocument(
            filename=part.filename,
            raw_key=raw_key(collection, part.sha256) if part.sha256 else "",
            sha256=part.sha256,
            size_bytes=part.size,
            rejected_reason=part.rejected_reason,
        )
        for part in parts
    ]


def messages(
    job_id: str, parts: list[Part], documents: list[NewDocument], form: FormMeta
) -> list[DocumentMessage]:
    """Task messages for the documents a worker must process (not the ones refused here)."""
    out = []
    for part, doc in zip(parts, documents, strict=True):
        if part.rejected_reason:
            continue
        meta = part.meta
        out.append(
            DocumentMessage(
                job_id=job_id,
                doc_id=doc.doc_id,
                collection=form.collection,
                raw_key=doc.raw_key,
                sha256=doc.sha256,
                size_bytes=doc.size_bytes,
                filename=part.filename,
                content_type=part.content_type,
                source_url=meta.get("source_url") or form.source_url,
                source_name=meta.get("source_name") or form.source_name,
                language=meta.get("language") or form.language,
                title=meta.get("title"),
                published_at=meta.get("published_at"),
                external_id=meta.get("external_id"),
            )
        )
    return out
