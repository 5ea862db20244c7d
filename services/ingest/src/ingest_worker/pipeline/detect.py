"""Decides what the raw bytes are before anything tries to parse them."""

from __future__ import annotations

import re

from ingest_worker.pipeline.base import Article, Reject, StageContext

_HTML_SNIFF = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<article[\s>]|<div[\s>]|<p[\s>]|<meta\s",
    re.IGNORECASE,
)
# Magic numbers of formats that are certainly not article text.
_BINARY_MAGIC: dict[bytes, str] = {
    b"%PDF": "PDF document",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip data",
    b"\x7fELF": "ELF executable",
    b"MZ": "Windows executable",
    b"RIFF": "RIFF media",
    b"\x00\x00\x00": "binary data",
    b"ID3": "MP3 audio",
    b"OggS": "Ogg media",
    b"{\\rtf": "RTF document",
    b"\xd0\xcf\x11\xe0": "MS Office document",
}
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class DetectFormat:
    """Text or HTML, or rejected as empty or binary."""

    name = "detect"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        raw = doc.raw
        if not raw or not raw.strip():
            raise Reject("empty document")
        head = raw[:4096]
        if not head.startswith(_TEXT_BOMS):
            for magic, what in _BINARY_MAGIC.items():
                if head.startswith(magic):
                    raise Reject(f"not an article: {what}")
            if _looks_binary(head):
                raise Reject("not an article: binary data")
        declared = (doc.declared_content_type or "").split(";")[0].strip().lower()
        name = (doc.filename or "").lower()
        if declared in {"text/html", "application/xhtml+xml"} or name.endswith((".html", ".htm", ".xhtml")):
            doc.content_type = "text/html"
        elif declared == "text/plain":  # the uploader said so (e.g. a JSON Lines "text" field)
            doc.content_type = "text/plain"
        elif _HTML_SNIFF.search(head.lstrip()[:1024]) and head.count(b"<") >= 3:
            doc.content_type = "text/html"
        else:
            doc.content_type = "text/plain"
        return doc


def _looks_binary(head: bytes) -> bool:
    """NUL bytes (outside UTF-16) or many C0 controls mean this is not text."""
    if not head:
        return False
    if b"\x00" in head:
        # UTF-16 text without BOM has NULs on every other byte: let decoding judge it.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) < len(head) // 4 or min(even, odd) > len(head) // 16:
            return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.1
