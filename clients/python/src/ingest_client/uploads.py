"""What to upload: files and folders expanded, grouped into batches, encoded as multipart.

The multipart body is encoded here rather than by httpx so that it can be streamed in chunks
and report progress byte by byte; each request still carries an exact ``Content-Length``.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_BATCH_FILES = 50
MAX_BATCH_BYTES = 20 * 1024 * 1024
CHUNK_BYTES = 64 * 1024

_EXTRA_TYPES = {
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".warc": "application/warc",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".zip": "application/zip",
}

UploadInput = str | os.PathLike[str] | tuple[str, bytes]
"""A path (file or folder) or a ``(filename, bytes)`` pair."""


@dataclass(frozen=True)
class Upload:
    """One file to send: its name as the server sees it and where its bytes come from."""

    filename: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    @property
    def content_type(self) -> str:
        suffix = Path(self.filename).suffix.lower()
        if suffix in _EXTRA_TYPES:
            return _EXTRA_TYPES[suffix]
        guessed, _ = mimetypes.guess_type(self.filename)
        return guessed or "application/octet-stream"

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def walk_folder(folder: Path) -> Iterator[Path]:
    """Files under ``folder`` in sorted order; hidden files and folders are skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def collect_uploads(inputs: Iterable[UploadInput] | str | os.PathLike[str]) -> list[Upload]:
    """Expand folders and stat files. A missing path raises ``FileNotFoundError`` up front,
    before anything is sent. A single path may be given instead of a list."""
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    uploads: list[Upload] = []
    for item in inputs:
        if isinstance(item, tuple):
            name, data = item
            uploads.append(Upload(filename=name, size=len(data), data=bytes(data)))
            continue
        path = Path(item)
        if path.is_dir():
            for file in walk_folder(path):
                relative = file.relative_to(path).as_posix()
                uploads.append(Upload(filename=relative, size=file.stat().st_size, path=file))
        else:
            uploads.append(Upload(filename=path.name, size=path.stat().st_size, path=path))
    return uploads


def make_batches(
    uploads: list[Upload], *, max_files: int = MAX_BATCH_FILES, max_bytes: int = MAX_BATCH_BYTES
) -> list[list[Upload]]:
    """Consecutive groups of at most ``max_files`` files and ``max_bytes`` bytes; a file larger
    than ``max_bytes`` travels alone (the server decides whether it is too large)."""
    batches: list[list[Upload]] = []
    current: list[Upload] = []
    current_bytes = 0
    for upload in uploads:
        if current and (len(current) >= max_files or current_bytes + upload.size > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(upload)
        current_bytes += upload.size
    if current:
        batches.append(current)
    return batches


def _quote(value: str) -> str:
    # The same escaping as browsers and httpx: quotes and line breaks percent-encoded.
    return value.translate({0x22: "%22", 0x0D: "%0D", 0x0A: "%0A", 0x5C: "\\\\"})


@dataclass
class MultipartBody:
    """A multipart/form-data body for one batch, built from already-read file bytes."""

    fields: list[tuple[str, str]]
    files: list[tuple[Upload, bytes]]
    boundary: str = ""

    def __post_init__(self) -> None:
        if not self.boundary:
            self.boundary = secrets.token_hex(16)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _parts(self) -> Iterator[tuple[bytes, bytes]]:
        """(headers, payload) of each part."""
        for name, value in self.fields:
            head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            yield head.encode("utf-8"), value.encode("utf-8")
        for upload, data in self.files:
            head = (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="files"; filename="{_quote(upload.filename)}"\r\n'
                f"Content-Type: {upload.content_type}\r\n\r\n"
            )
            yield head.encode("utf-8"), data

    @property
    def closing(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode("ascii")

    def __len__(self) -> int:
        return sum(len(h) + len(p) + 2 for h, p in self._parts()) + len(self.closing)

    def stream(self, on_file_bytes: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The body in chunks; ``on_file_bytes(n)`` is called as file payload bytes go out."""
        n_fields = len(self.fields)
        for index, (head, payload) in enumerate(self._parts()):
            yield head
            for start in range(0, len(payload), CHUNK_BYTES):
                chunk = payload[start : start + CHUNK_BYTES]
                yield chunk
                if on_file_bytes is not None and index >= n_fields:
                    on_file_bytes(len(chunk))
            yield b"\r\n"
        yield self.closing
