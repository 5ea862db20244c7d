"""Bytes to text: declared charset or BOM first, charset-normalizer when unknown."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from ingest_worker.pipeline.base import Article, Reject, StageContext

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


class Decode:
    """Finds the encoding; rejects bytes that decode to no readable text."""

    name = "decode"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        raw = doc.raw
        text, encoding = _decode(raw, html=doc.content_type == "text/html")
        if text is None:
            raise Reject("undecodable bytes: no character encoding fits")
        if len(text) > ctx.max_text_chars:
            raise Reject(f"text too long: {len(text)} characters (limit {ctx.max_text_chars})")
        bad = text.count("\ufffd")
        if bad > max(8, len(text) // 50):
            raise Reject(f"undecodable bytes: {bad} replacement characters after decoding")
        if not _readable(text):
            raise Reject("no readable text after decoding")
        doc.encoding = encoding
        if doc.content_type == "text/html":
            doc.html = text
        else:
            doc.text = text
        return doc


def _decode(raw: bytes, *, html: bool) -> tuple[str | None, str | None]:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(name, errors="replace"), name
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if html:
        match = _META_CHARSET.search(raw[:4096])
        if match:
            name = match.group(1).decode("ascii", "ignore")
            try:
                return raw.decode(name, errors="strict"), name.lower()
            except (LookupError, UnicodeDecodeError):
                pass
    best = from_bytes(raw[:200_000]).best()
    if best is None:
        return None, None
    try:
        return raw.decode(best.encoding, errors="strict"), best.encoding
    except (LookupError, UnicodeDecodeError):
        return None, None


def _readable(text: str) -> bool:
    """At least a few letters, and letters are not drowned in symbols and controls."""
    sample = text[:100_000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 3:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls < len(sample) * 0.05
