"""PDF (pypdf): the text layer in reading order, without running headers, footers and page
numbers, hyphenation at line ends undone, lines joined into paragraphs.

A PDF without a text layer (a scan) and one that needs a password are rejected; so is one
with more pages than ``MAX_PAGES``, before any page is read.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections import Counter

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import accept_text
from ingest_worker.pipeline.formats.hints import fill_hints

MAX_PAGES = 2_000
"""A news article, a report or a book chapter: a PDF with more pages is not one document."""
_EDGE = 2  # lines at the top and bottom of a page where running headers and footers live
_PAGE_NUMBER = re.compile(
    r"\A(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\Z|\A[-–—]\s*\d{1,4}\s*[-–—]\Z|\A[ivxlc]{1,6}\Z",
    re.IGNORECASE,
)
_HYPHENATED = re.compile(r"[^\W\d_]-\Z")
_SENTENCE_END = re.compile(r"[.!?:;…\"'”’)\]]\Z")
_FULL_STOP = re.compile(r"[.!?]\Z")  # a sentence's end is body text, not a running head
_DIGITS = re.compile(r"\d+")

logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken files are common; their warnings are noise


class ReadPdf:
    name = "pdf"
    format = "pdf"
    media_type = "application/pdf"

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        return raw[:1024].lstrip()[:5] == b"%PDF-"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        doc.media_type = self.media_type
        try:
            reader = PdfReader(io.BytesIO(doc.raw), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Reject("encrypted PDF: a password is needed to read it")
            declared = _declared_pages(reader)  # before walking the page tree
            if isinstance(declared, int) and declared > MAX_PAGES:
                raise Reject(f"PDF has {declared} pages (limit {MAX_PAGES})")
            pages = len(reader.pages)
        except Reject:
            raise
        except (
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,
        ) as exc:
            raise Reject(f"unreadable PDF: {type(exc).__name__}: {exc}") from None
        if pages > MAX_PAGES:
            raise Reject(f"PDF has {pages} pages (limit {MAX_PAGES})")
        texts: list[str] = []
        total = 0
        for number in range(pages):
            try:
                text = reader.pages[number].extract_text() or ""
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
                doc.warnings.append(f"PDF page {number + 1}: unreadable text layer")
                continue
            total += len(text)
            if total > ctx.max_text_chars:
                raise Reject(f"text too long: more than {ctx.max_text_chars} characters")
            texts.append(text)
        if sum(1 for ch in "".join(texts) if ch.isalpha()) < 20:
            raise Reject("no text layer: a scanned PDF or one without text")
        title = None
        with contextlib.suppress(PyPdfError, ValueError, KeyError, TypeError, AttributeError):
            title = reader.metadata.title if reader.metadata else None
        fill_hints(doc, title=title if isinstance(title, str) else None)
        return accept_text(doc, pdf_text(texts, doc), ctx)


def _declared_pages(reader: PdfReader) -> int | None:
    """The page count the page tree's root claims (pypdf counts by walking every page)."""
    pages = reader.root_object.get("/Pages")
    count = pages.get_object().get("/Count") if pages is not None else None
    return count if isinstance(count, int) else None


def pdf_text(pages: list[str], doc: Article | None = None) -> str:
    """Pages of extracted text → paragraphs separated by blank lines."""
    lines_by_page = [[line.strip() for line in page.splitlines()] for page in pages]
    lines_by_page = [[line for line in lines if line] for lines in lines_by_page]
    running = _running_lines(lines_by_page)
    kept: list[str] = []
    for lines in lines_by_page:
        last = len(lines) - 1
        for position, line in enumerate(lines):
            at_edge = position < _EDGE or position > last - _EDGE
            if at_edge and _PAGE_NUMBER.match(line):
                if doc is not None:
                    doc.remove(line, "page number")
                continue
            if at_edge and _key(line) in running:
                if doc is not None:
                    doc.remove(line, "running header or footer")
                continue
            kept.append(line)
    return "\n\n".join(_paragraphs(kept))


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines at a page's top or bottom that recur, numbers aside, on at least half the pages
    (and do not end a sentence: the same closing words on two pages are body text)."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:_EDGE] + lines[-_EDGE:]
        counts.update({_key(line) for line in edges if not _FULL_STOP.search(line)})
    needed = max(2, (len(pages) + 1) // 2)
    return {key for key, count in counts.items() if count >= needed}


def _paragraphs(lines: list[str]) -> list[str]:
    """Joins wrapped lines into paragraphs.

    A line ends its paragraph when the next line's first word would have fitted on it (the
    writer broke the line on purpose), or when it is a short heading followed by a capital.
    """
    if not lines:
        return []
    widths = sorted(len(line) for line in lines)
    width = widths[int(len(widths) * 0.9)] if len(widths) > 4 else max(widths)
    paragraphs: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        if current.endswith("-") and _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        following = lines[index + 1] if index + 1 < len(lines) else ""
        first_word = following.split(" ", 1)[0]
        would_fit = len(line) + 1 + len(first_word) < width * 0.95
        ends = bool(_SENTENCE_END.search(line))
        starts = following[:1].isupper() or following[:1].isdigit() or not following[:1].isalpha()
        heading = not ends and starts and len(line) < 0.6 * width
        if not following or (would_fit and ends and starts) or heading:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
