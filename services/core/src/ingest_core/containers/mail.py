"""E-mail messages (.eml, message/rfc822): the body is one document, each attachment another.

A message without attachments is one document spanning the whole upload, as before: the
worker's e-mail reader takes its body and its ``Subject``, ``Date`` and ``Message-ID``. With
attachments, the body document is the message up to the end of its last text part (headers
included, so the same reader gives the same hints) and each attachment is the byte range of
its MIME part (its headers and its still-encoded body) with the ``mime`` codec, which decodes
base64 or quoted-printable only when the document is opened. An attachment is named
``mail.eml!name``; one that is a container itself (a zip, a WARC, a forwarded message) is
expanded like an archive member.

The MIME structure is found by scanning for boundary lines, not by building the message:
the stdlib parser keeps every decoded part in memory and gives no byte offsets.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import quopri
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser

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

MAX_PARTS = 1_000
MAX_MIME_DEPTH = 32  # multiparts inside multiparts; real mail nests 3 or 4 deep
_TYPES = {"message/rfc822"}
_HEADER_LINE = re.compile(rb"\A[A-Za-z][A-Za-z0-9-]{0,60}:[^\r\n]*\Z|\A[ \t]+\S")
_KNOWN = {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received", b"return-path"}
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BODY_TYPES = {"text/plain", "text/html"}
_NOT_DOCUMENTS = ("image/", "audio/", "video/", "font/", "model/")
_NOT_DOCUMENT_TYPES = {
    "application/pgp-signature",
    "application/pgp-encrypted",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/ms-tnef",
    "text/calendar",
    "text/vcard",
    "text/x-vcard",
    "text/rfc822-headers",
    "message/delivery-status",
    "message/disposition-notification",
}
"""Parts that are never articles (logos, signatures, invitations, receipts): not listed.

A newsletter carries a dozen inline images; one rejected document per logo would bury the
documents that matter. Anything else attached becomes a document, and the worker rejects
what it cannot read with a reason, as it does for an archive member."""
_HEADERS = BytesHeaderParser(policy=policy.default)


class MailReader(Reader):
    kind = "eml"
    archive = True  # an attachment may be a container (a zip, a WARC, a forwarded message)

    def matches(self, upload: Upload) -> bool:
        if upload.name.endswith(".eml") or upload.media_type in _TYPES:
            return True
        return looks_like_mail_headers(upload.head())

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        if upload.size > limits.max_parse_bytes:
            limit = limits.max_parse_bytes
            yield refused(upload, f"e-mail too large to read: {upload.size} bytes (limit {limit})")
            return
        upload.fileobj.seek(0)
        data = upload.fileobj.read()
        upload.fileobj.seek(0)
        try:
            leaves = list(_leaf_parts(data, 0, len(data), 0, _Scan(Deadline(limits.max_seconds))))
        except Unreadable as exc:
            yield refused(upload, exc.reason)
            return
        attachments = [leaf for leaf in leaves if leaf.attachment]
        if not attachments:  # a plain message: one document, read by the worker as before
            if upload.size > limits.max_file_bytes:
                yield too_large(upload.filename, upload.size, limits)
            else:
                yield Part(upload.filename, upload.content_type, 0, upload.size)
            return
        container = upload.filename or "message.eml"
        bodies = [leaf for leaf in leaves if not leaf.attachment and leaf.media_type in _BODY_TYPES]
        if bodies:
            end = max(leaf.end for leaf in bodies)
            if end > limits.max_file_bytes:
                yield too_large(upload.filename, end, limits)
            else:  # named as the upload: the message's own document, never expanded again
                yield Part(upload.filename, "message/rfc822", 0, end)
        if len(attachments) > limits.max_members:
            yield Part(
                member_name(container, "attachments"),
                None,
                rejected_reason=f"e-mail has {len(attachments)} attachments (limit {limits.max_members})",
            )
            return
        names: set[str] = set()
        for number, leaf in enumerate(attachments, start=1):
            name = member_name(container, _unique(leaf.name or _unnamed(number, leaf.media_type), names))
            if leaf.decoded_estimate > limits.max_file_bytes:
                yield too_large(name, leaf.decoded_estimate, limits)
            else:
                yield Part(name, leaf.media_type, leaf.start, leaf.end - leaf.start, "mime")

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {"mime": open_part}


@dataclass(frozen=True)
class _Leaf:
    """One MIME part that is not a multipart: where it is and what it says it is."""

    start: int
    end: int
    media_type: str
    name: str | None
    attachment: bool
    encoding: str

    @property
    def decoded_estimate(self) -> int:
        """At most this many bytes once decoded (base64 is 4 characters for 3 bytes)."""
        size = self.end - self.start
        return size * 3 // 4 if self.encoding == "base64" else size


@dataclass
class _Scan:
    """What one message's scan may still spend: parts and time."""

    deadline: Deadline
    parts: int = 0

    def count(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise Unreadable(f"e-mail has more than {MAX_PARTS} parts")
        if self.deadline.expired():
            raise Unreadable(self.deadline.reason)


def _leaf_parts(data: bytes, start: int, end: int, depth: int, scan: _Scan) -> Iterator[_Leaf]:
    """The non-multipart parts of the entity at ``data[start:end]``, in order."""
    if depth > MAX_MIME_DEPTH:
        raise Unreadable(f"e-mail parts nested more than {MAX_MIME_DEPTH} deep")
    scan.count()
    headers, body_start = _headers(data, start, end)
    media_type = headers.get_content_type()
    boundary = headers.get_param("boundary") if headers.get_content_maintype() == "multipart" else None
    if isinstance(boundary, str) and boundary:
        marker = boundary.encode("latin-1", "replace")
        for part_start, part_end in _between_boundaries(data, body_start, end, marker):
            yield from _leaf_parts(data, part_start, part_end, depth + 1, scan)
        return
    disposition = headers.get_content_disposition()
    name = _filename(headers)
    is_body = media_type in _BODY_TYPES and disposition != "attachment" and name is None
    listed = depth > 0 and not is_body and not _never_a_document(media_type)
    encoding = str(headers.get("content-transfer-encoding") or "7bit").strip().lower()
    yield _Leaf(start, end, media_type, name, listed, encoding)


def _between_boundaries(data: bytes, start: int, end: int, boundary: bytes) -> Iterator[tuple[int, int]]:
    """The byte ranges of a multipart body's parts: between its ``--boundary`` lines."""
    delimiter = re.compile(rb"^--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$", re.MULTILINE)
    opened: int | None = None
    for number, match in enumerate(delimiter.finditer(data, start, end)):
        if opened is not None:
            yield opened, _before_line_break(data, opened, match.start())
        if number > MAX_PARTS:
            raise Unreadable(f"e-mail has more than {MAX_PARTS} parts")
        if match.group(1):  # the close delimiter: the epilogue is no part
            return
        opened = match.end() + (2 if data.startswith(b"\r\n", match.end()) else 1)
    if opened is not None and opened < end:  # no close delimiter: the last part runs to the end
        yield opened, end


def _before_line_break(data: bytes, start: int, end: int) -> int:
    """The line break before a delimiter belongs to the delimiter, not to the part."""
    if end - 2 >= start and data[end - 2 : end] == b"\r\n":
        return end - 2
    if end - 1 >= start and data[end - 1 : end] == b"\n":
        return end - 1
    return end


def _headers(data: bytes, start: int, end: int) -> tuple[EmailMessage, int]:
    """A part's header block, parsed, and where its body starts."""
    for blank in (b"\r\n", b"\n"):
        if data.startswith(blank, start):  # no headers at all: a text/plain part
            return _HEADERS.parsebytes(b""), start + len(blank)
    match = _BLANK_LINE.search(data, start, end)
    header_end, body_start = (match.start(), match.end()) if match else (end, end)
    return _HEADERS.parsebytes(data[start:header_end]), body_start


def _filename(headers: EmailMessage) -> str | None:
    """The attachment's own name, without any folders it claims."""
    try:
        name = headers.get_filename()
    except (ValueError, TypeError, LookupError):
        return None
    if not name:
        return None
    name = name.replace("\\", "/").rpartition("/")[2].strip()
    return name or None


def _never_a_document(media_type: str) -> bool:
    return media_type.startswith(_NOT_DOCUMENTS) or media_type in _NOT_DOCUMENT_TYPES


def _unnamed(number: int, media_type: str) -> str:
    """``attachment-2.pdf``: a name for an attachment without one, its suffix from its type."""
    suffix = ".eml" if media_type == "message/rfc822" else mimetypes.guess_extension(media_type) or ".bin"
    return f"attachment-{number}{suffix}"


def _unique(name: str, seen: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    candidate, number = name, 1
    while candidate in seen:
        number += 1
        candidate = f"{stem}-{number}{dot}{suffix}"
    seen.add(candidate)
    return candidate


def open_part(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """One attachment's bytes, its transfer encoding undone, and its declared type.

    No hints: a hint from a document is taken as the uploader's word and wins over what the
    file says of itself, and the message's Subject and Date describe the message, not the
    report or the forwarded article attached to it (which keeps its own title and date).
    """
    headers, body_start = _headers(data, 0, len(data))
    body = data[body_start:]
    encoding = str(headers.get("content-transfer-encoding") or "7bit").strip().lower()
    if encoding == "base64":
        raw = _base64(body, max_bytes)
    elif encoding == "quoted-printable":
        raw = quopri.decodestring(body)
    elif encoding in {"7bit", "8bit", "binary"}:
        raw = body
    else:
        raise Unreadable(f"unsupported transfer encoding {encoding[:40]!r}")
    if len(raw) > max_bytes:
        raise Unreadable(f"file too large: more than {max_bytes} bytes")
    media_type = headers.get_content_type()
    charset = headers.get_content_charset()
    if charset and headers.get_content_maintype() == "text":
        return Opened(raw, f"{media_type}; charset={charset}", Hints())
    return Opened(raw, media_type, Hints())


def _base64(body: bytes, max_bytes: int) -> bytes:
    """Strict base64: a part that says base64 and is not is refused, never read as garbage."""
    text = b"".join(body.split())
    if len(text) * 3 // 4 > max_bytes:
        raise Unreadable(f"file too large: more than {max_bytes} bytes")
    text += b"=" * (-len(text) % 4) if len(text) % 4 != 1 else b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unreadable(f"attachment is not valid base64: {exc}") from None


def looks_like_mail_headers(head: bytes) -> bool:
    """A header block of at least three lines naming From and another mail header."""
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = block.replace(b"\r\n", b"\n").split(b"\n")
    if len(lines) < 3 or not all(_HEADER_LINE.match(line) for line in lines):
        return False
    names = {line.split(b":", 1)[0].lower() for line in lines if not line[:1].isspace()}
    return b"from" in names and len(names & _KNOWN) >= 3
