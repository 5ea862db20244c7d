"""Page metadata: trafilatura's readers (meta tags, OpenGraph, JSON-LD), trimmed; dates in ``dates``.

``trafilatura.extract_metadata`` also computes categories, tags and the licence, deep-copies
the page and runs regex XPaths (a Python callback per element) for its author search, and
runs htmldate's extensive text search: together about as much CPU as the extraction itself,
which would break the speed budget (1.3x trafilatura alone). So we call its cheap readers
one by one and search bylines with plain XPaths over the same attributes (checking the few
hits' ancestors instead of pruning a copy). On 300 eval pages title, author, site name and
description then agree with ``extract_metadata`` on 298-300 pages. The publication date
comes from ``html.dates``: ranked evidence, htmldate's extensive search only where the
cheaper evidence is missing (measured in ``bench/quality/dates.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)

from ingest_core.languages import language_code
from ingest_worker.pipeline.authors import Credits, clean_authors
from ingest_worker.pipeline.html import dates
from ingest_worker.pipeline.html.dates import iso_timestamp

_TAG = re.compile(r"<[^<>]{0,200}>")  # JSON-LD descriptions sometimes carry markup
# trafilatura's AUTHOR_XPATHS in one pass over attributes (6x cheaper than element predicates);
# ``_byline_tier`` restores their order of preference. ``descendant-or-self::*`` from the page's
# root, not ``//``: the same elements without visiting text nodes (2.4 -> 1.5 ms per page).
_BYLINE_CANDIDATES = XPath(
    "descendant-or-self::*/@class[contains(., 'uthor') or contains(., 'yline') or contains(., 'writer')"
    " or contains(., 'posted-by') or contains(., 'submitted-by') or contains(., 'journalist-name')"
    " or .='username' or .='byl']/.."
    " | descendant-or-self::*/@id[contains(., 'uthor')]/.. | descendant-or-self::*/@rel[.='author']/.."
    " | descendant-or-self::*/@itemprop[contains(., 'author')]/.."
    " | descendant-or-self::*/@data-testid[.='AuthorCard' or .='AuthorURL']/.."
    " | descendant-or-self::*/@data-component[contains(., 'Byline')]/.."
    " | descendant-or-self::author"
)
_PRUNED_CONTAINERS = frozenset({"a", "div", "section", "span"})
_STRICT_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong", "author"})
_LOOSE_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_STRICT_CLASS = re.compile(r"author-?name|author_name|AuthorName|authorName")
_LOOSE_CLASS = re.compile(r"author|submitted-by|posted-by|journalist-name")
# Where a name is a commenter's or a related story's, not the article's (trafilatura's discard list).
_NOT_BYLINE = re.compile(
    r"^[Cc]omments|comment-?list|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(share|support)|^print|category|meta-date|meta-reviewer|ProductReviews|^title$|^date$",
)
_LANGUAGE_META = (
    ".//meta[@http-equiv='content-language']",
    ".//meta[@http-equiv='Content-Language']",
    ".//meta[@name='language']",
    ".//meta[@property='og:locale']",
)


@dataclass
class PageMeta:
    """The fields of the record a page's markup can tell us; None when it does not."""

    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    site_name: str | None = None
    url: str | None = None
    language: str | None = None
    agency: str | None = None  # an agency named as the author ("Reuters"): the dateline's agency


def read_metadata(
    tree: HtmlElement,
    url: str | None = None,
    date_lines: Sequence[str] = (),
    *,
    fetched_at: datetime | None = None,
) -> PageMeta:
    """Everything from the head and JSON-LD first; title/author/date searches only as fallbacks.

    ``fetched_at``: when the page was fetched; no publication date may come after it."""
    found = examine_meta(tree)
    with suppress(Exception):  # broken JSON-LD must not cost us the article
        found = extract_meta_json(tree, found)
    meta = PageMeta()
    meta.title = _tidy(found.title or extract_title(tree))
    meta.url = found.url or extract_url(tree, url)
    meta.description = _tidy(found.description)
    meta.published_at = published_at(tree, meta.url, date_lines, title=meta.title, not_after=fetched_at)
    sitename = found.sitename or extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    if not sitename and meta.url and (host := META_URL.match(meta.url)):
        sitename = host[1]  # trafilatura's fallback: the domain
    meta.site_name = _tidy(sitename)
    meta.language = declared_language(tree)
    # people only (``authors.clean_authors``); a site, handle or credit in the markup falls
    # back to the byline printed on the page
    credits = clean_authors([found.author]) if found.author else Credits()
    if not credits.authors and (byline := _byline(tree)):
        printed = clean_authors([byline])
        credits = Credits(printed.authors, credits.agency or printed.agency)
    meta.authors, meta.agency = credits.authors, credits.agency
    return meta


def declared_language(tree: HtmlElement) -> str | None:
    """The language the page says it is in: ``<html lang>``, else a content-language or
    ``og:locale`` meta tag. A hint for language detection, never the verdict."""
    for value in (tree.get("lang"), tree.get("xml:lang")):
        if code := language_code(value):
            return code  # most pages: the meta tags are not searched at all
    for path in _LANGUAGE_META:
        for element in tree.iterfind(path):
            if code := language_code(element.get("content")):
                return code
    return None


def _byline(tree: HtmlElement) -> str | None:
    """The first short byline-marked element outside comments, sidebars, dates and figures."""
    hits = _BYLINE_CANDIDATES(tree)
    ranked = sorted(
        (element for element in (hits if isinstance(hits, list) else []) if isinstance(element, HtmlElement)),
        key=_byline_tier,
    )
    for element in ranked[:60]:
        if not _article_byline(element):
            continue
        content = " ".join(" ".join(element.itertext()).split())
        if 2 < len(content) < 120:
            return normalize_authors(None, content)
    return None


def _byline_tier(element: HtmlElement) -> int:
    """0: marked as the author, 1: an author-ish class on a text element, 2: anything author-ish."""
    cls, ident = element.get("class", ""), element.get("id", "")
    if element.tag in _STRICT_TAGS and (
        element.get("rel") == "author"
        or ident == "author"
        or cls == "author"
        or element.get("itemprop") == "author name"
        or element.get("data-testid") in ("AuthorCard", "AuthorURL")
        or element.tag == "author"
        or _STRICT_CLASS.search(cls)
    ):
        return 0
    if element.tag in _LOOSE_TAGS and (
        cls in ("byline", "username", "byl")
        or "author" in element.get("itemprop", "")
        or "author" in ident
        or _LOOSE_CLASS.search(cls)
    ):
        return 1
    return 2


def _article_byline(element: HtmlElement) -> bool:
    """Not inside what trafilatura prunes before its author search (containers only, as it does)."""
    if element.tag in ("time", "figure"):
        return False
    for node in element.iterancestors():
        if node.tag in ("time", "figure"):
            return False
        if node.tag in _PRUNED_CONTAINERS and (
            _NOT_BYLINE.search(node.get("class", "")) or _NOT_BYLINE.search(node.get("id", ""))
        ):
            return False
    return True


def _tidy(value: str | None) -> str | None:
    """Entities decoded and white space collapsed, as trafilatura's own clean_and_trim does."""
    if not value:
        return None
    return " ".join(_TAG.sub(" ", unescape(value)).split())[:1000] or None


def published_at(
    tree: HtmlElement,
    url: str | None,
    date_lines: Sequence[str] = (),
    *,
    title: str | None = None,
    not_after: datetime | None = None,
) -> str | None:
    """ISO 8601 publication date: the ranked evidence of ``html.dates``, htmldate last."""
    return dates.published_at(tree, url, date_lines, title=title, not_after=not_after)


__all__ = ["PageMeta", "declared_language", "iso_timestamp", "published_at", "read_metadata"]
