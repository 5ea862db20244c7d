"""WARC and .warc.gz web archives (warcio): one document per ``response`` record whose
payload is HTML or text.

Each record is a byte range of the upload: in a .warc.gz every record is its own gzip member,
decodable alone, so the range is the compressed member. The worker parses that one record,
drops the HTTP headers (and any transfer or content encoding) and keeps the payload;
``WARC-Target-URI`` becomes the source URL, ``WARC-Date`` the fetch time and
``WARC-Record-ID`` the external id.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ingest_core.containers.base import (
    Deadline,
    Limits,
    Opened,
    Opener,
    Part,
    Reader,
    Unreadable,
    Upload,
    member_name,
    refused,
    too_large,
)
from ingest_core.tasks import BatchDocument, Codec, Hints

_SUFFIXES = (".warc", ".warc.gz")
_TYPES = {"application/warc", "application/x-warc"}
_TEXT_TYPES = {"text/html", "application/xhtml+xml", "text/plain"}
_ERRORS = (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error, IndexError, AttributeError)


class WarcReader(Reader):
    kind = "warc"

    def matches(self, upload: Upload) -> bool:
        if upload.name.endswith(_SUFFIXES) or upload.media_type in _TYPES:
            return True
        head = upload.head(512)
        if head.startswith(b"\x1f\x8b"):
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
            except zlib.error:
                return False
        return head.startswith(b"WARC/")

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        deadline = Deadline(limits.max_seconds)
        container = upload.filename or "archive.warc"
        gzipped = upload.head(2) == b"\x1f\x8b"
        upload.fileobj.seek(0)
        records = ArchiveIterator(upload.fileobj, arc2warc=False, check_digests=False)
        number = kept = expanded = 0
        try:
            for record in records:
                number += 1
                name = member_name(container, str(number))
                declared = record.length or 0
                wanted = _wanted(record)
                expanded += declared
                records.read_to_end(record)
                offset, length = records.get_record_offset(), records.get_record_length()
                if deadline.expired():
                    yield refused(upload, deadline.reason)
                    return
                if expanded > limits.max_expanded_bytes:
                    yield Part(
                        name,
                        None,
                        rejected_reason=f"WARC expands to more than {limits.max_expanded_bytes} bytes",
                    )
                    return
                if not wanted:
                    continue
                kept += 1
                if kept > limits.max_members:
                    yield Part(
                        name, None, rejected_reason=f"WARC has more than {limits.max_members} documents"
                    )
                    return
                if declared > limits.max_file_bytes:
                    yield too_large(name, declared, limits)
                elif offset + length > upload.size or (not gzipped and length < declared):
                    yield Part(
                        name, None, rejected_reason="truncated WARC record: shorter than its Content-Length"
                    )
                else:
                    yield Part(name, None, offset, length, "warc")
        except _ERRORS as exc:
            kept += 1
            yield Part(
                member_name(container, str(number + 1)),
                None,
                rejected_reason=f"corrupt WARC after record {number}: {exc}",
            )
        finally:
            upload.fileobj.seek(0)
        if kept == 0:
            yield refused(upload, f"no HTML or text response in the WARC ({number} records)")

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {"warc": open_record}


def _wanted(record: Any) -> bool:
    """A ``response`` with a 2xx HTTP status and an HTML or text payload."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    status = str(record.http_headers.get_statuscode() or "")
    media = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return status.startswith("2") and media in _TEXT_TYPES


def open_record(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """One record's payload without its HTTP headers, and the record's hints."""
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(data), arc2warc=False, check_digests=False)))
    except (StopIteration, *_ERRORS) as exc:
        raise Unreadable(f"unreadable WARC record: {exc or 'empty'}") from None
    headers = record.rec_headers
    hints = Hints(
        source_url=headers.get_header("WARC-Target-URI") or None,
        fetched_at=headers.get_header("WARC-Date") or None,
        external_id=(headers.get_header("WARC-Record-ID") or "").strip("<>") or None,
    )
    if record.rec_type != "response" or record.http_headers is None:
        raise Unreadable(f"not an article: WARC {record.rec_type} record", hints)
    try:
        payload = record.content_stream().read(max_bytes + 1)
    except _ERRORS as exc:
        raise Unreadable(f"unreadable WARC payload: {exc}", hints) from None
    if len(payload) > max_bytes:
        raise Unreadable(f"file too large: more than {max_bytes} bytes", hints)
    content_type = record.http_headers.get_header("Content-Type") or None
    return Opened(payload, content_type, hints)
