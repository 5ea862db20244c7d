"""Zip archives: each member (stored or deflated) is a byte range of the upload."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from typing import IO

from ingest_core.containers.base import (
    Limits,
    Opened,
    Opener,
    Part,
    Reader,
    Unreadable,
    Upload,
    archive_problem,
    member_name,
    refused,
    too_large,
)
from ingest_core.tasks import BatchDocument, Codec, Hints

_ZIP_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_ZIP_STORED, _ZIP_DEFLATED = 0, 8
_TYPES = {"application/zip", "application/x-zip-compressed"}


class ZipReader(Reader):
    kind = "zip"
    archive = True

    def matches(self, upload: Upload) -> bool:
        return upload.name.endswith(".zip") or upload.media_type in _TYPES

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        try:
            archive = zipfile.ZipFile(upload.fileobj)
            infos = [info for info in archive.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            yield refused(upload, f"corrupt zip archive: {exc}")
            return
        problem = archive_problem(upload, len(infos), sum(i.file_size for i in infos), limits)
        if problem:
            yield refused(upload, problem)
            return
        for info in infos:
            name = member_name(upload.filename, info.filename)
            if info.file_size > limits.max_file_bytes:
                yield too_large(name, info.file_size, limits)
            elif info.flag_bits & 0x1:
                yield Part(name, None, rejected_reason="encrypted archive member")
            elif info.compress_type not in (_ZIP_STORED, _ZIP_DEFLATED):
                yield Part(
                    name, None, rejected_reason=f"unsupported zip compression method {info.compress_type}"
                )
            else:
                offset = _zip_data_offset(upload.fileobj, info)
                if offset is None or offset + info.compress_size > upload.size:
                    yield Part(name, None, rejected_reason="unreadable archive member: bad local header")
                    continue
                codec: Codec = "identity" if info.compress_type == _ZIP_STORED else "deflate"
                yield Part(name, None, offset, info.compress_size, codec, info.file_size)

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {"deflate": open_deflated}


def open_deflated(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """A raw deflate stream (a zip member), inflated to at most ``max_bytes``."""
    inflater = zlib.decompressobj(-15)
    try:
        raw = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise Unreadable(f"unreadable archive member: {exc}") from None
    if len(raw) > max_bytes:
        raise Unreadable(f"file too large: more than {max_bytes} bytes")
    return Opened(raw, doc.content_type, Hints())


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
