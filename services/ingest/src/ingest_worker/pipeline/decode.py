"""Bytes to text: BOM, UTF-16/32 by their NUL pattern, declared charset, then charset-normalizer."""

from __future__ import annotations

import re
import threading

from charset_normalizer import from_bytes
from lxml import etree

from ingest_worker.pipeline.base import Article, Reject, StageContext

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Longest BOM first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def split_bom(raw: bytes) -> tuple[str | None, bytes]:
    """The encoding a byte order mark names, and the bytes after it."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name, raw[len(bom) :]
    return None, raw


def wide_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by where the NUL bytes fall.

    Text in these encodings has NULs in the high bytes of its code units: in UTF-32 two or
    three of every four bytes; in UTF-16 one of every two for Latin scripts, and for other
    alphabets at least under spaces and punctuation, the rest of that lane being one or two
    block numbers (0x04 for Cyrillic). Binary data, or text with NULs strewn in, has NULs
    anywhere and varied bytes around them.
    """
    sample = raw[:4096]
    size = len(sample) - len(sample) % 4
    if size < 16:
        return None
    sample = sample[:size]
    lanes = [sample[lane::4].count(0) for lane in range(4)]
    quarter = size // 4
    if lanes[2] + lanes[3] >= 1.8 * quarter and lanes[0] <= 0.2 * quarter:
        return "utf-32-le"
    if lanes[0] + lanes[1] >= 1.8 * quarter and lanes[3] <= 0.2 * quarter:
        return "utf-32-be"
    even, odd = sample[0::2], sample[1::2]
    for name, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        nuls = high.count(0)
        if nuls < 0.05 * len(high) or low.count(0) > nuls / 20:
            continue
        blocks = sorted((high.count(value) for value in set(high)), reverse=True)
        if sum(blocks[:3]) >= 0.9 * len(high):
            return name
    return None


class Decode:
    """Finds the encoding; rejects bytes that decode to no readable text.

    Other XML (``content_type`` "application/xml" from ``DetectFormat``) leaves as plain
    text without its markup.
    """

    name = "decode"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        raw = doc.raw
        text, encoding = _decode(raw, markup=doc.content_type in {"text/html", "application/xml"})
        if text is not None and "\x00" in text:  # U+0000 is never article text
            text = text.replace("\x00", "")
        if text is not None and doc.content_type == "application/xml":
            text = xml_text(text)
            doc.content_type = "text/plain"
            doc.warnings.append("XML document: markup removed, text kept")
        if text is None:
            raise Reject("undecodable bytes: no character encoding fits")
        if len(text) > ctx.max_text_chars:
            raise Reject(f"text too long: {len(text)} characters (limit {ctx.max_text_chars})")
        damaged = text.count("\ufffd")
        if damaged > max(8, len(text) // 50):
            _check_damage(doc, text, damaged)
        if not _readable(text):
            raise Reject("no readable text after decoding")
        doc.encoding = encoding
        if doc.content_type == "text/html":
            doc.html = text
        else:
            doc.text = text
        return doc


#: A text keeps its U+FFFD characters while it has at least this many letters for each one.
LETTERS_PER_DAMAGED = 10


def _check_damage(doc: Article, text: str, damaged: int) -> None:
    """Text with replacement characters is kept while its letters still carry it.

    A page converted once with the wrong charset upstream reaches us as valid UTF-8 with
    U+FFFD where its accented letters were ("Jak pomaga\ufffd, \ufffdeby..."): damaged, but
    an article a reader still follows, so it is stored with a warning. Mojibake of a whole
    script (a Chinese page read as cp1252 and replaced) has more replacement characters
    than letters and says nothing: that is rejected.
    """
    letters = len(_LETTER.findall(text[:1_000_000]))
    if damaged * LETTERS_PER_DAMAGED > letters:
        raise Reject(f"undecodable bytes: {damaged} replacement characters after decoding")
    doc.warnings.append(
        f"{damaged} unreadable characters (U+FFFD) in the text: damaged before or while decoding"
    )


def accept_text(doc: Article, text: str, ctx: StageContext, *, html: bool = False) -> Article:
    """A leaf reader's text (or HTML), checked as ``Decode`` checks decoded text."""
    text = text.replace("\x00", "")
    if len(text) > ctx.max_text_chars:
        raise Reject(f"text too long: {len(text)} characters (limit {ctx.max_text_chars})")
    if not _readable(text):
        raise Reject("no readable text")
    doc.encoding = doc.encoding or "utf-8"
    doc.content_type = "text/html" if html else "text/plain"
    if html:
        doc.html = text
    else:
        doc.text = text
    return doc


def decode_bytes(raw: bytes) -> tuple[str | None, str | None]:
    """(text, encoding) of plain text bytes, as ``Decode`` finds them."""
    return _decode(raw, markup=False)


def _decode(raw: bytes, *, markup: bool) -> tuple[str | None, str | None]:
    bom, unmarked = split_bom(raw)
    if bom is not None:
        return unmarked.decode(bom, errors="replace"), bom
    wide = wide_encoding(raw)
    if wide is not None:
        return raw.decode(wide, errors="replace"), wide
    raw = raw.replace(b"\x00", b"")  # scattered NULs: U+0000 in every encoding below, never text
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(raw):
        return raw.decode("utf-8", errors="replace"), "utf-8"
    if markup:
        match = _XML_ENCODING.match(raw[:1024]) or _META_CHARSET.search(raw[:4096])
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


_LETTER = re.compile(r"[^\W\d_]")
#: Every byte but the controls counted against a text (C0 less tab, LF, FF and CR). A
#: character below U+0080 is its own byte in UTF-8 and every other one is bytes >= 0x80, so
#: deleting these from the UTF-8 form leaves one byte per such control: a count in C that
#: takes a third of ``findall`` with a character class (which steps the regex engine per char).
_NOT_CONTROL = bytes(byte for byte in range(256) if byte in (0x09, 0x0A, 0x0C, 0x0D) or byte >= 0x20)


def _readable(text: str) -> bool:
    """At least a few letters, and letters are not drowned in symbols and controls.

    Counted in C (a regular expression, ``bytes.translate``), not a Python loop per character.
    """
    sample = text[:100_000]
    letters = 0
    for _ in _LETTER.finditer(sample):
        letters += 1
        if letters == 3:
            break
    if letters < 3:
        return False
    controls = len(sample.encode("utf-8", "surrogatepass").translate(None, _NOT_CONTROL))
    if len(sample) >= 500 and len(set(sample[:5000])) < 8:  # one byte pattern repeated
        return False
    return controls < len(sample) * 0.05


MAX_XML_CHARS = 4_000_000
"""As for HTML pages: beyond this an XML file is a dump, not an article."""
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.IGNORECASE)
_NOT_TEXT = {"script", "style"}  # code in any namespace (SVG, XHTML islands) is never article text
_LOCAL = threading.local()


def _xml_parser() -> etree.XMLParser:
    """No DTDs, no entity expansion, no network; tolerant of broken markup. One per thread."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "xml_parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            recover=True,
            remove_comments=True,
            remove_pis=True,
        )
        _LOCAL.xml_parser = parser
    return parser


def xml_text(markup: str) -> str:
    """The text of an XML document, one paragraph per element that holds text of its own."""
    if len(markup) > MAX_XML_CHARS:
        raise Reject(f"XML document too large: {len(markup)} characters (limit {MAX_XML_CHARS})")
    try:
        root = etree.fromstring(_XML_DECL.sub("", markup, count=1), parser=_xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Reject(f"unparseable XML: {exc}") from exc
    if root is None:
        raise Reject("unparseable XML: no root element")
    for element in list(root.iter()):
        if isinstance(element.tag, str) and etree.QName(element).localname.lower() in _NOT_TEXT:
            _drop(element)
    paragraphs: list[str] = []
    _collect(root, paragraphs)
    return "\n\n".join(paragraphs)


def _drop(element: etree._Element) -> None:
    """Removes an element but keeps the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _collect(element: etree._Element, paragraphs: list[str]) -> None:
    """An element with text of its own (or between its children) is one paragraph, inline
    children included; one without is only a container of paragraphs."""
    own = bool(element.text and element.text.strip()) or any(
        child.tail and child.tail.strip() for child in element
    )
    if own:
        text = " ".join("".join(_texts(element)).split())
        if text:
            paragraphs.append(text)
        return
    for child in element:
        if isinstance(child.tag, str):
            _collect(child, paragraphs)


def _texts(element: etree._Element) -> list[str]:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.extend(_texts(child))
        parts.append(child.tail or "")
    return parts
