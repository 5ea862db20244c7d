"""HTML articles: trafilatura for the main text, then our own rules for what it lets through.

Order inside the stage, and why:

1. ``guard``: defuse and bound the markup before lxml (C code the time limit cannot stop).
2. one parse, shared by extraction, captions and metadata (trafilatura would parse again).
3. ``extract``: trafilatura's balanced extraction, as blocks that remember their element.
4. ``captions``: figure captions from the markup; caption and credit lines out of the body.
5. ``rules``: share prompts, "read more" teasers, newsletter and subscription pitches,
   copyright and comment counters that trafilatura keeps; each removal is recorded.
6. ``learn``: short lines this source repeats on many pages (per-source statistics).
7. ``meta``: title, description, authors, ISO date, site name, canonical URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from ingest_worker.pipeline.base import Article, Reject, StageContext, StageTimeout
from ingest_worker.pipeline.html.captions import fold, is_credit_line, markup_captions
from ingest_worker.pipeline.html.extract import Block, extract_blocks
from ingest_worker.pipeline.html.guard import parse, sanitise
from ingest_worker.pipeline.html.learn import common_lines, source_key
from ingest_worker.pipeline.html.meta import PageMeta, read_metadata
from ingest_worker.pipeline.html.rules import boilerplate_reasons
from ingest_worker.pipeline.profiles import SourceProfiles
from ingest_worker.pipeline.text.shortdoc import SHORT_DOC_CHARS, SHORT_DOC_LINES, has_article_text

__all__ = ["ExtractHtml"]


class ExtractHtml:
    """HTML page → paragraphs, captions, metadata and the audit trail of removed lines."""

    name = "html"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.content_type != "text/html" or doc.html is None:
            return doc
        tree = parse(sanitise(doc.html))
        blocks, extractor = extract_blocks(tree, doc.source_url)
        if not blocks:
            raise Reject("no article text found in the HTML page")
        captions = markup_captions(tree)
        recurring = None
        profiles: SourceProfiles | None = ctx.source_profiles
        source = source_key(doc, tree) if profiles is not None else None
        if profiles is not None and source is not None:
            recurring = partial(common_lines, profiles, source)
        doc.paragraphs = _filter(doc, blocks, captions, recurring)
        if not doc.paragraphs or not _has_article_text(doc.paragraphs):
            raise Reject("no article text left in the HTML page after boilerplate removal")
        doc.captions = [*doc.captions, *captions]
        doc.extractor = extractor
        date_lines = [line.text for line in doc.removed if line.reason == "date line"]
        try:
            meta = read_metadata(tree, doc.source_url, date_lines, fetched_at=_instant(doc.fetched_at))
        except StageTimeout:
            raise
        except Exception as exc:  # odd markup may break a reader: keep the article, note it
            doc.warnings.append(f"HTML metadata not read: {type(exc).__name__}")
            meta = PageMeta()
        doc.title = doc.title or meta.title
        doc.description = doc.description or meta.description
        doc.authors = doc.authors or meta.authors
        doc.dateline_agency = doc.dateline_agency or meta.agency
        doc.published_at = doc.published_at or meta.published_at
        doc.site_name = doc.site_name or meta.site_name
        doc.source_url = doc.source_url or meta.url
        if meta.language:
            doc.page_language = meta.language
        _drop_headline(doc, [doc.title, meta.title])
        return doc


def _instant(value: str | None) -> datetime | None:
    """A crawler's fetch time (WARC-Date, ISO 8601) as an aware instant; None when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _has_article_text(paragraphs: list[str]) -> bool:
    """A short page whose every paragraph is furniture (a cookie wall, a login form, an error
    page, a menu) has no article; a longer one is trafilatura's judgement to make."""
    if len(paragraphs) > SHORT_DOC_LINES or sum(map(len, paragraphs)) > SHORT_DOC_CHARS:
        return True
    return has_article_text(paragraphs)


def _drop_headline(doc: Article, titles: list[str | None]) -> None:
    """The headline printed above the text is the record's title, not its first paragraph."""
    keys = {fold(title) for title in titles if title}
    for index, paragraph in enumerate(doc.paragraphs[:2]):
        if fold(paragraph) in keys and len(doc.paragraphs) > 1:
            doc.remove(paragraph, "title")
            del doc.paragraphs[index]
            return


def _filter(
    doc: Article,
    blocks: list[Block],
    captions: list[str],
    recurring: Callable[[list[str], list[int]], set[int]] | None = None,
) -> list[str]:
    """Body lines kept; captions and furniture moved out with a reason each.

    ``recurring`` (per-source statistics) judges the short lines no rule removed.
    """
    caption_keys = {fold(caption) for caption in captions}
    reasons = boilerplate_reasons(blocks)
    for index, block in enumerate(blocks):
        if fold(block.text) in caption_keys:
            reasons[index] = "caption"
        elif is_credit_line(block.text):
            reasons[index] = "photo credit"
            captions.append(block.text)
    if recurring is not None:
        lines = [block.text for block in blocks]
        undecided = [index for index, reason in enumerate(reasons) if reason is None]
        for index in recurring(lines, undecided):
            reasons[index] = "recurs on this source"
    kept: list[str] = []
    for block, reason in zip(blocks, reasons, strict=True):
        if reason:
            doc.remove(block.text, reason)
        else:
            kept.append(block.text)
    return kept
