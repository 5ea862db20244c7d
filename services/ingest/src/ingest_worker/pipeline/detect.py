"""Decides what the raw bytes are before anything tries to parse them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import split_bom, wide_encoding

_HTML_SNIFF = re.compile(
    r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<article[\s>]|<div[\s>]|<p[\s>]|<meta\s",
    re.IGNORECASE,
)
# The root element of an XML document, after its prolog (declaration, comments, doctype).
_XML_ROOT = re.compile(
    r"""\A\s*(?:(?:<\?[^>]*\?>|<!--.*?-->|<!doctype[^>\[]*(?:\[.*?\])?\s*>)\s*)*<([A-Za-z_][\w.:-]*)""",
    re.IGNORECASE | re.DOTALL,
)
# A whole HTML document, whatever it was declared as: its markup must never reach a record.
_HTML_DOCUMENT = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL
)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\s", re.IGNORECASE)
_XML_TYPES = {"application/xml", "text/xml"}
_FEED_ROOTS = {"rss": "RSS feed", "feed": "Atom feed", "rdf": "RSS feed"}


class LeafSniffer(Protocol):
    format: str

    def sniff(self, raw: bytes, name: str, declared: str) -> bool: ...


# Magic numbers of formats that are certainly not article text.
#: Every byte but the C0 controls that do not occur in text (tab, LF, FF, CR and ESC do):
#: ``bytes.translate`` deleting these leaves the controls to count, in C, not a loop per byte.
_NOT_BINARY_CONTROL = bytes(byte for byte in range(256) if byte >= 32 or byte in (9, 10, 12, 13, 27))
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
    b"WARC/": "WARC archive (nested too deeply: upload it, or a zip of it)",
}


class DetectFormat:
    """A leaf format, text, HTML or other XML, or rejected as empty, binary or not an article.

    A leaf format one of ``leaves`` knows (PDF, DOCX, email, Markdown) sets ``format``, which
    routes the document to that reader. Otherwise ``content_type`` becomes "text/html" (HTML
    and XHTML), "application/xml" (other XML, whose text ``Decode`` takes out of the markup)
    or "text/plain".
    """

    name = "detect"

    def __init__(self, leaves: Sequence[LeafSniffer] = ()) -> None:
        self.leaves = list(leaves)

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        raw = doc.raw
        if not raw or not raw.strip():
            raise Reject("empty document")
        head = raw[:4096]
        declared = (doc.declared_content_type or "").split(";")[0].strip().lower()
        name = (doc.filename or "").lower().rpartition("!")[2]
        for leaf in self.leaves:
            if leaf.sniff(raw, name, declared):
                doc.format = leaf.format
                return doc
        bom, unmarked = split_bom(head)
        wide = None if bom else wide_encoding(head)  # UTF-16/32 without BOM: NULs in a pattern
        encoding = bom or wide
        if bom is None:
            for magic, what in _BINARY_MAGIC.items():
                if head.startswith(magic) and not (wide and magic.startswith(b"\x00")):
                    raise Reject(f"not an article: {what}")
            if wide is None and _looks_binary(head):
                raise Reject("not an article: binary data")
        # The first bytes as characters, enough to sniff markup in any encoding Decode reads.
        view = unmarked.decode(encoding, errors="replace") if encoding else head.decode("latin-1")
        markup = _markup_kind(view, declared, name)
        if markup == "html":
            doc.content_type = "text/html"
        elif markup == "xml":
            doc.content_type = "application/xml"
        elif declared in {"text/html", "application/xhtml+xml"} or name.endswith((".html", ".htm", ".xhtml")):
            doc.content_type = "text/html"
        elif declared == "text/plain" and not _HTML_DOCUMENT.match(view):
            doc.content_type = "text/plain"  # the uploader said so (e.g. a JSON Lines "text" field)
        elif _HTML_SNIFF.search(view.lstrip()[:1024]) and view.count("<") >= 3:
            doc.content_type = "text/html"
        else:
            doc.content_type = "text/plain"
        return doc


def _markup_kind(view: str, declared: str, name: str) -> str | None:
    """Which markup this is: "html" (XHTML), "xml" (other XML) or None (not an XML document).

    An SVG image and a news feed are not articles and are rejected here; their markup and
    scripts must never reach a record as text.
    """
    if declared == "image/svg+xml" or name.endswith((".svg", ".svgz")):
        raise Reject("not an article: SVG image")
    match = _XML_ROOT.match(view)
    root = match.group(1).rpartition(":")[2].lower() if match else None
    if root == "svg":
        raise Reject("not an article: SVG image")
    is_xml = (
        _XML_DECLARATION.match(view) is not None
        or declared in _XML_TYPES
        or declared.endswith("+xml")
        or name.endswith(".xml")
    )
    if not is_xml:
        return None
    if root is None:  # a prolog longer than the sniffed head (a huge DTD): Decode parses it as XML
        return "xml" if _XML_DECLARATION.match(view) else None
    if root == "html" or declared == "application/xhtml+xml":
        return "html"
    if root in _FEED_ROOTS:
        raise Reject(f"not an article: {_FEED_ROOTS[root]} (upload its articles, not the feed)")
    return "xml"


def _looks_binary(head: bytes) -> bool:
    """Many C0 controls (NUL included) mean this is not text.

    A few scattered NUL bytes in otherwise plain text are tolerated (``Decode`` drops them);
    UTF-16 and UTF-32 never get here (see ``wide_encoding``).
    """
    if not head:
        return False
    controls = len(head.translate(None, _NOT_BINARY_CONTROL))  # deletes all but those controls
    return controls > len(head) * 0.1
