"""Main text out of a parsed page: trafilatura, kept as blocks so later rules know each line's kind.

Measured on the 990-page eval set (README metric), trafilatura's balanced default with
comments off is the best base: favor_recall, favor_precision, fast mode, no tables and
its own deduplication each scored lower as the main setting (0.920-0.925 against 0.926);
recall mode and the baseline only help as a fallback for a suspiciously short result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura import baseline
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt

from ingest_worker.pipeline.base import Reject, StageTimeout

EXTRACTOR = f"trafilatura {trafilatura.__version__}"
SHORT_RESULT = 250
"""Characters below which the extraction is suspect (eval: 10 of 990 pages, mostly teasers)."""


_OPTIONS = {
    recall: Extractor(
        output_format="txt",
        recall=recall,
        comments=False,
        tables=True,
        with_metadata=False,
    )
    for recall in (False, True)
}
"""trafilatura's options for both modes, built once: ``Extractor()`` reads its eight limits
from the config parser each time (~0.14 ms a call, a copy with the page's URL ~0.01 ms)."""


def extractor_options(url: str | None, *, recall: bool) -> Extractor:
    """What ``bare_extraction(url=url, favor_recall=recall, include_comments=False,
    include_tables=True, with_metadata=False, output_format="txt")`` builds, from a copy of a
    prepared instance (trafilatura copies options itself before it changes any)."""
    options = copy(_OPTIONS[recall])
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


@dataclass(slots=True)
class Block:
    """One line of the extracted text and the element it came from (p, head, item, cell, quote...)."""

    text: str
    tag: str


@contextmanager
def _input_errors() -> Iterator[None]:
    """Markup that breaks the extractor (recursion on odd trees, lxml errors) is the input's
    fault, not a reason to retry the task: it becomes a Reject saying what went wrong."""
    try:
        yield
    except StageTimeout:
        raise
    except Exception as exc:  # any extractor failure on this markup
        raise Reject(f"HTML extraction failed: {type(exc).__name__}: {str(exc)[:200]}") from exc


def extract_blocks(tree: HtmlElement, url: str | None) -> tuple[list[Block], str]:
    """The page's main text as blocks, and which extractor gave it.

    A result under ``SHORT_RESULT`` characters usually means trafilatura kept a teaser or a
    widget and missed the article; then its recall mode, then its baseline (all paragraphs
    of the page), replace it if they find several times more text.
    """
    blocks = _trafilatura(tree, url, recall=False)
    size = sum(len(block.text) for block in blocks)
    if size >= SHORT_RESULT:
        return blocks, EXTRACTOR
    recall = _trafilatura(tree, url, recall=True)
    if sum(len(block.text) for block in recall) > max(SHORT_RESULT, 3 * size):
        return recall, f"{EXTRACTOR} (favor_recall)"
    with _input_errors():
        _, text, length = baseline(tree)
    if length > max(SHORT_RESULT, 3 * size):
        lines = [Block(line.strip(), "p") for line in text.split("\n") if line.strip()]
        return lines, f"{EXTRACTOR} (baseline)"
    return blocks, EXTRACTOR


def _trafilatura(tree: HtmlElement, url: str | None, *, recall: bool) -> list[Block]:
    """trafilatura's body as one Block per output line; empty when it finds nothing.

    ``output_format="txt"``: the body tree alone (``"python"``, the default, also serialises
    the whole body to ``document.text``, which only the rare fallback below needs; it is the
    same ``xmltotxt`` of the same tree, computed there when needed). Nothing else in the
    extraction depends on the format.
    """
    with _input_errors():
        document = trafilatura.bare_extraction(tree, options=extractor_options(url, recall=recall))
    if document is None or isinstance(document, dict):
        return []
    body: _Element | None = document.body
    if body is None:
        return []
    blocks: list[Block] = []
    if body.text and body.text.strip():  # loose text before the first element
        blocks.extend(Block(line.strip(), "p") for line in body.text.split("\n") if line.strip())
    for child in body:
        tag = child.tag if isinstance(child.tag, str) else "p"
        text = xmltotxt(child, include_formatting=False)
        blocks.extend(Block(line.strip(), tag) for line in text.split("\n") if line.strip())
    if not blocks:
        text = xmltotxt(body, include_formatting=False)
        blocks = [Block(line.strip(), "p") for line in text.split("\n") if line.strip()]
    return blocks
