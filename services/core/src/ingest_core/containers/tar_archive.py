"""Tar archives (plain, gzip, bzip2, xz): stored as the plain tar, members are ranges of it."""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from ingest_core.containers.base import (
    CHUNK,
    Limits,
    Part,
    Prepared,
    Reader,
    Upload,
    archive_problem,
    member_name,
    refused,
    too_large,
)

_RATIO_FLOOR = 1024 * 1024  # a small tar is mostly padding: the ratio test starts past this
_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
_TYPES = {"application/x-tar", "application/x-gtar"}


class TarReader(Reader):
    kind = "tar"
    archive = True

    def matches(self, upload: Upload) -> bool:
        return upload.name.endswith(_SUFFIXES) or upload.media_type in _TYPES

    def prepare(self, upload: Upload, limits: Limits) -> Prepared:
        """Decompresses a .tar.gz/.tar.bz2/.tar.xz into a bounded temporary file."""
        magic = upload.head(6)
        opener: Callable[[IO[bytes]], Any] | None = None
        if magic.startswith(b"\x1f\x8b"):
            opener = _open_gzip
        elif magic.startswith(b"BZh"):
            opener = bz2.BZ2File
        elif magic.startswith(b"\xfd7zXZ\x00"):
            opener = lzma.LZMAFile
        if opener is None:
            return Prepared(upload)
        out = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (returned to the caller)
        expanded = 0
        try:
            with opener(upload.fileobj) as stream:
                while chunk := stream.read(CHUNK):
                    expanded += len(chunk)
                    if expanded > limits.max_expanded_bytes:
                        out.close()
                        return Prepared(
                            upload, f"archive expands to more than {limits.max_expanded_bytes} bytes"
                        )
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

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        try:
            upload.fileobj.seek(0)
            archive = tarfile.open(fileobj=upload.fileobj, mode="r:")  # noqa: SIM115 (reads a caller's file)
            infos = [info for info in archive.getmembers() if info.isfile()]
        except (tarfile.TarError, OSError, EOFError) as exc:
            yield refused(upload, f"corrupt tar archive: {exc}")
            return
        problem = archive_problem(upload, len(infos), sum(i.size for i in infos), limits)
        # A tar's own size is its expanded size: the ratio test is for the compressed original.
        if problem and "ratio" not in problem:
            yield refused(upload, problem)
            return
        for info in infos:
            name = member_name(upload.filename, info.name)
            if info.size > limits.max_file_bytes:
                yield too_large(name, info.size, limits)
            elif info.offset_data + info.size > upload.size:
                yield Part(name, None, rejected_reason="unreadable archive member: truncated archive")
            else:
                yield Part(name, None, info.offset_data, info.size)


def _open_gzip(fileobj: IO[bytes]) -> gzip.GzipFile:
    return gzip.GzipFile(fileobj=fileobj, mode="rb")
