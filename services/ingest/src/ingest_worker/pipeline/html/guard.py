"""Hostile-HTML defences that must run before lxml sees the page.

lxml parses in C, where the stage's SIGALRM time limit cannot interrupt it, so anything
that makes libxml2 slow has to be defused on the string first: control characters,
start tags carrying thousands of attributes (libxml2 checks duplicates quadratically:
40k attributes took 12 s), and pages whose element count makes every later pass slow.
"""

from __future__ import annotations

import re
import threading

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    document_fromstring,
)

from ingest_worker.pipeline.base import Reject

MAX_HTML_CHARS = 4_000_000
"""The largest real page in the eval set is 1.6 MB; beyond this it is a dump, not an article."""
MAX_ELEMENTS = 60_000
"""Six times the busiest eval page (10k elements); trafilatura needs ~1.5 s per 50k."""
MAX_TAG_ATTRIBUTES = 256
MAX_DEPTH = 255
"""libxml2 stops building the tree at this depth and drops the rest of the page."""

_FORM_CONTROLS = ("button", "select", "textarea")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: Every byte but the ASCII ones ``_CONTROL`` removes: see ``_has_control``.
_NOT_ASCII_CONTROL = bytes(byte for byte in range(256) if byte in (0x09, 0x0A, 0x0D) or 0x20 <= byte != 0x7F)
_LONG_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]{0,40})[^<>]{4000,}>")
_LONG_PIECE = 4000
"""Shorter ``>``-separated pieces cannot hold a ``_LONG_TAG`` match ("<" + a letter + 4000)."""
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)

# The same options trafilatura uses, in our own instances so the error log is ours;
# one per thread because lxml parsers must not be shared between threads.
_LOCAL = threading.local()

# Every element is a plain HtmlElement, chosen in C. lxml.html's own lookup picks a class per
# tag name (FormElement, InputElement...) in a Python method called for every element proxy
# created: ~900k calls per 200 pages, 11% of the HTML pipeline's CPU. Nothing here or in
# trafilatura uses the form classes (form controls are stripped); the outputs are identical
# on the 990 eval pages.
_PLAIN_HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)


def _parser() -> HTMLParser:
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = HTMLParser(
            collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
        )
        parser.set_element_class_lookup(_PLAIN_HTML_CLASSES)
        _LOCAL.parser = parser
    return parser


def _defuse_tag(match: re.Match[str]) -> str:
    """Keeps a long start tag unless it carries attribute floods; then only its name."""
    tag = match.group(0)
    if tag.count("=") > MAX_TAG_ATTRIBUTES:
        return f"<{match.group(1)}>"
    return tag


def sanitise(html: str) -> str:
    """The page as a string lxml can parse in linear time, or Reject with the reason."""
    if len(html) > MAX_HTML_CHARS:
        raise Reject(f"HTML page too large: {len(html)} characters (limit {MAX_HTML_CHARS})")
    if _has_control(html):
        html = _CONTROL.sub("", html)
    html = _defuse_long_tags(html)
    return _XML_DECL.sub("", html, count=1)


def _has_control(html: str) -> bool:
    """Whether ``_CONTROL`` has anything to remove, found in C at a fraction of its cost.

    The regex steps its engine once per character (about 1 ms on an average page), though
    hardly a page has any: below U+0080 a character is its own byte in UTF-8 and every other
    one is bytes >= 0x80, so the ASCII controls are the bytes ``translate`` does not delete;
    a lone surrogate fails the encoding; U+FFFE and U+FFFF are ``in`` tests.
    """
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return bool(data.translate(None, _NOT_ASCII_CONTROL)) or "\ufffe" in html or "\uffff" in html


def _defuse_long_tags(html: str) -> str:
    """``_LONG_TAG.sub`` run only where a long tag can be.

    A match holds no ``<`` or ``>`` but its closing one, so it lies inside one ``>``-separated
    piece of the page longer than ``_LONG_PIECE``; the regex over the whole page cost 2 ms per
    page (it scans every tag body). Such a piece covers a whole block of ``_BLOCK`` characters
    from wherever the search stands, so blocks without a ``>`` are all there is to look at:
    ``str.find`` finds one a few dozen characters into most blocks, without copying, where
    splitting the page at every ``>`` built a string per tag (~0.4-0.8 ms a page).
    """
    if len(html) <= _LONG_PIECE:
        return html
    parts: list[str] = []
    done = 0  # html[:done] is in parts
    start = 0
    while start + _BLOCK <= len(html):
        if html.find(">", start, start + _BLOCK) >= 0:
            start += _BLOCK
            continue
        low = html.rfind(">", 0, start) + 1  # the piece holding this block
        high = html.find(">", start + _BLOCK)
        if high < 0:  # the piece after the last ">" cannot hold a tag
            break
        if high - low > _LONG_PIECE:
            piece = html[low:high]
            defused = _LONG_TAG.sub(_defuse_tag, piece + ">")[:-1]
            if defused != piece:
                parts += (html[done:low], defused)
                done = high
        start = high + 1
    if not parts:
        return html
    parts.append(html[done:])
    return "".join(parts)


_BLOCK = _LONG_PIECE // 2
"""Any run of more than ``_LONG_PIECE`` characters holds a whole block of this many that
starts at the search position or a multiple of it further on."""


def parse(html: str) -> HtmlElement:
    """One parse shared by extraction, metadata and captions; Reject for trees we will not walk."""
    parser = _parser()
    try:
        tree = document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise Reject(f"unparseable HTML: {exc}") from exc
    depth_hit = any("Excessive depth" in entry.message for entry in parser.error_log)
    if len(html) > MAX_ELEMENTS * 3:  # an element takes at least 3 characters ("<a>")
        for count, _ in enumerate(tree.iter(), start=1):
            if count > MAX_ELEMENTS:
                raise Reject(f"HTML page has more than {MAX_ELEMENTS} elements")
    if depth_hit:
        # Rejecting beats returning the fragment above the cut: the page is hostile or broken.
        raise Reject(f"HTML nested deeper than {MAX_DEPTH} levels")
    # Form controls' labels ("Go", "Submit", a list of options) are never article text; a
    # page of forms alone must come out empty, not as a record of button labels.
    etree.strip_elements(tree, *_FORM_CONTROLS, with_tail=False)
    return tree
