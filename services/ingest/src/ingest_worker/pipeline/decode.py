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
    if _mostly_utf8(raw):
        return raw.decode("utf-8", errors="replace"), "utf-8"
    if html:
        match = _META_CHARSET.search(raw[:4096])
        if match:
            name = match.group(1).decode("ascii", "ignore")
            try:
                return raw.decode(name, errors="strict"), name.lower()
            except (LookupError, UnicodeDecodeError):
                pass
    best = _best_charset(raw[:200_000])
    if best is None:
        return None, None
    try:
        return raw.decode(best, errors="strict"), best
    except (LookupError, UnicodeDecodeError):
        return None, None


# When charset-normalizer finds several encodings equally plausible, the Western ones win:
# they are by far the most common on the web, and cp1250 misreads è as č.
_TIE_PREFERENCE = ("cp1252", "iso8859_1", "iso8859_15")


def _best_charset(sample: bytes) -> str | None:
    results = from_bytes(sample)
    best = results.best()
    if best is None:
        return None
    tied = {
        match.encoding
        for match in results
        if match.chaos == best.chaos and abs(match.coherence - best.coherence) < 1e-9
    }
    return next((name for name in _TIE_PREFERENCE if name in tied), best.encoding)


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(raw: bytes) -> bool:
    """UTF-8 with a few broken bytes (a bad splice, a truncated character) is still UTF-8.

    Guessing another charset for such a page garbles every non-ASCII character, which is far
    worse than replacing the few broken ones.
    """
    sample = raw[:1_000_000]
    valid = len(_UTF8_MULTIBYTE.findall(sample))
    if valid < 3:
        return False
    broken = sample.decode("utf-8", errors="replace").count("\ufffd")
    return broken <= max(2, valid // 20)


def _readable(text: str) -> bool:
    """At least a few letters, and letters are not drowned in symbols and controls."""
    sample = text[:100_000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 3:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if len(sample) >= 500 and len(set(sample[:5000])) < 8:  # one byte pattern repeated
        return False
    return controls < len(sample) * 0.05
