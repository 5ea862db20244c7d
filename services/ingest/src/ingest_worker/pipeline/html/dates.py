"""A page's publication date from its strongest evidence, cheapest first.

Evidence, in the order it is trusted (measured on the hand-checked dev set,
``bench/quality/dates.py``):

1. the publication stamp the page declares: ``article:published_time`` and its kin, JSON-LD
   ``datePublished``. A stamp in UTC gives way to the same instant written with the page's
   own offset, so the day is the one the page shows.
2. elements marked as the publication date: ``itemprop="datePublished"``, ``<time pubdate>``,
   a ``<time>`` classed ``published``.
3. a full date in the URL (``/2019/10/21/``).
4. a date printed near the headline, or after a publication label ("Veröffentlicht am",
   "publié le", "Published") in the page's first lines; the date lines the rules took out.
5. only then htmldate, whose search reads what is left (time elements, date-ish classes,
   copyright lines): it costs more and guesses more.

Never taken: modification stamps (``dateModified``, ``article:modified_time``,
``og:updated_time``, ``last-modified``), a date after ``not_after`` (the fetch time, else
now, with a day's grace for time zones), placeholders before 1990, and a day and month
without a year: such a date is never completed with a guessed year.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import htmldate.extractors
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

from ingest_core.languages import language_code
from ingest_worker.pipeline.text.dates import candidate_languages, parse_date

_ISO_PREFIX = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"  # the basic form (20210504T132005+0200) too
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{2}))?(?:[.,]\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
#: The page's declared publication stamp, most specific first: (attribute, value) of a ``<meta>``.
_DECLARED_META = (
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("property", "og:article:published_time"),
    ("property", "og:published_time"),
    ("itemprop", "datePublished"),
    ("name", "datePublished"),
    ("name", "pubdate"),
    ("name", "publishdate"),
    ("name", "publish-date"),
    ("name", "published_time"),
    ("name", "publication_date"),
    ("name", "sw-pubdate"),
    ("name", "parsely-pub-date"),
    ("name", "citation_online_date"),
    ("name", "DC.date.issued"),
    ("name", "dcterms.issued"),
    ("name", "dcterms.created"),
    ("name", "dcterms:created"),
    ("name", "date"),
    ("name", "dc.date"),
    ("name", "DC.date"),
)
_DECLARED_RANK = {key: rank for rank, key in enumerate(_DECLARED_META)}
_DECLARED_ATTRIBUTES = tuple(dict.fromkeys(attribute for attribute, _ in _DECLARED_META))
_LD_ARTICLE = re.compile(r'"@type"\s*:\s*"(?:\w*Article|BlogPosting|Report)"')
_LD_DATE = re.compile(r'"(datePublished|dateCreated)"\s*:\s*"([^"]{8,40})"')
#: Elements that mark their date as the publication's (never ``dateModified``), in document order.
# Attribute-axis steps from the page's root: predicates on every element (``//*[...]``), and
# ``//``'s walk over text nodes too, cost twice as much (1.6 -> 0.8 ms per page).
_MARKED = XPath(
    "descendant-or-self::*/@itemprop[.='datePublished']/parent::*[not(self::meta)]"
    " | descendant-or-self::time[@pubdate or contains(@class, 'published')]"
    " | descendant-or-self::*/@class[contains(., 'entry-date') and contains(., 'published')]/.."
)
_URL_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)([/_.-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")
#: Words that announce a publication date in the languages of the sources we see most.
_LABEL = re.compile(
    r"ver[öo]ffentlicht|erschienen|erstellt am|publi[ée]|publicado|pubblicato|publicat|opublikowano"
    r"|mise en ligne|published|posted|^datum\b|^data:|^fecha:|^stand:",
    re.I,
)
_NOT_PUBLICATION = re.compile(r"aktualisiert|updated|modifi|actualiz|aggiornat|zuletzt|last edited", re.I)
_NOT_PUBLICATION_CLASS = re.compile(r"updated|modified|hidden", re.I)
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "head", "title", "option"})
#: Text pieces after the headline that may hold its date (byline, date line, standfirst).
_NEAR_AFTER, _NEAR_BEFORE, _LABEL_PIECES = 16, 4, 400
_GRACE = timedelta(days=1)


def published_at(
    tree: HtmlElement,
    url: str | None,
    date_lines: Sequence[str] = (),
    *,
    title: str | None = None,
    not_after: datetime | None = None,
    fallback: bool = True,
) -> str | None:
    """ISO 8601 publication date or date-time from the strongest evidence the page has."""
    limit = (not_after or datetime.now(UTC)) + _GRACE
    language = _language(tree)
    for found in _evidence(tree, url, date_lines, title, language):
        if found and _plausible(found, limit):
            return found
    if not fallback or not _declares_article(tree):
        return None
    try:
        found = find_date(
            tree, extensive_search=True, original_date=True, url=url, max_date=limit.date().isoformat()
        )
    except Exception:  # htmldate raises assorted errors on odd markup; a date is optional
        return None
    return found if found and _plausible(found, limit) else None


class _CalendarLanguageParser:
    """htmldate's dateparser, tried only in English and the languages whose month or weekday
    names the string holds (``text.dates.candidate_languages``).

    htmldate's own parser tries every locale dateparser has: the first string no locale
    reads builds all ~200 locales' patterns, about 3 s of CPU in every worker process (and
    in each replacement), and each later call walks them all again. On the 990 eval pages the
    7 strings htmldate hands over give the same dates either way.
    """

    def get_date_data(self, text: str) -> Any:
        return _date_data_parser(tuple(candidate_languages(text))).get_date_data(text)


#: htmldate's settings for its dateparser (``htmldate.extractors.get_external_parser``, htmldate 1.11).
_HTMLDATE_PARSER_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}


@lru_cache(maxsize=256)
def _date_data_parser(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=_HTMLDATE_PARSER_SETTINGS)


@cache
def calendar_language_parser() -> _CalendarLanguageParser:
    return _CalendarLanguageParser()


_HTMLDATE_OWN_PARSER = htmldate.extractors.get_external_parser
# htmldate asks this module function for its parser on every call (and has no other hook)
htmldate.extractors.get_external_parser = calendar_language_parser


@contextmanager
def htmldate_as_released() -> Iterator[None]:
    """htmldate with its own all-locale parser, for baselines that measure htmldate itself.
    Its cache of parsed strings is emptied on the way in and out, so neither parser's answers
    leak into the other's."""
    htmldate.extractors.try_date_expr.cache_clear()
    htmldate.extractors.get_external_parser = _HTMLDATE_OWN_PARSER
    try:
        yield
    finally:
        htmldate.extractors.get_external_parser = calendar_language_parser
        htmldate.extractors.try_date_expr.cache_clear()


def _evidence(
    tree: HtmlElement, url: str | None, date_lines: Sequence[str], title: str | None, language: str | None
) -> Iterator[str | None]:
    """Candidates, strongest first; computed lazily so cheap evidence spares the rest."""
    yield declared_timestamp(tree)
    yield marked_date(tree, language)
    yield url_date(url)
    for line in date_lines[:3]:
        if not _NOT_PUBLICATION.search(line):
            yield parse_date(line, language)
    yield printed_date(tree, title, language)


def _declares_article(tree: HtmlElement) -> bool:
    """An article by its own markup: htmldate's search guesses a date on any page, so it only
    runs on pages that say they are articles (og:type, JSON-LD type, an ``<article>``)."""
    for element in tree.iterfind(".//meta[@property='og:type']"):
        if "article" in (element.get("content") or "").casefold():
            return True
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        if _LD_ARTICLE.search((script.text or "")[:200_000]):
            return True
    return False


def _plausible(found: str, limit: datetime) -> bool:
    """Not after the limit (a future date is a widget, an event or a typo) and not a placeholder."""
    try:
        day = date.fromisoformat(found[:10])
    except ValueError:
        return False
    return day.year >= 1990 and day <= limit.date()


def declared_timestamp(tree: HtmlElement) -> str | None:
    """The declared publication stamp; one in UTC gives way to the same instant at a local offset."""
    stamps = [
        stamp
        for element in _declared_elements(tree)
        if (stamp := iso_timestamp(element.get("content") or element.get("datetime") or ""))
    ]
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        for match in _LD_DATE.finditer((script.text or "")[:200_000]):
            if stamp := iso_timestamp(match.group(2)):
                stamps.append(stamp)
    if not stamps:
        return None
    first = stamps[0]
    if first.endswith("+00:00"):
        others = stamps[1:] + [
            stamp for time in tree.iter("time") if (stamp := iso_timestamp(time.get("datetime") or ""))
        ]
        return next((other for other in others if _same_instant_elsewhere(first, other)), first)
    return first


def _declared_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The ``<meta>`` elements of ``_DECLARED_META``, by rank, then in page order; one walk
    over the page instead of one per entry (21), the same list as ``iterfind`` per entry."""
    ranked: list[tuple[int, int, HtmlElement]] = []
    for order, element in enumerate(tree.iter("meta")):
        for attribute in _DECLARED_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and (rank := _DECLARED_RANK.get((attribute, value))) is not None:
                ranked.append((rank, order, element))
    ranked.sort(key=lambda entry: entry[:2])
    return [element for _, _, element in ranked]


def _same_instant_elsewhere(utc: str, other: str) -> bool:
    if len(other) <= 10 or other.endswith("+00:00"):
        return False
    try:
        return datetime.fromisoformat(utc) == datetime.fromisoformat(other)
    except (TypeError, ValueError):  # a zone-less stamp cannot be compared with a zoned one
        return False


def marked_date(tree: HtmlElement, language: str | None) -> str | None:
    """An element marked as the publication date: its machine-readable value, else its text."""
    hits = _MARKED(tree)
    for element in hits if isinstance(hits, list) else []:
        if not isinstance(element, HtmlElement):
            continue
        value = element.get("datetime") or element.get("content") or ""
        found = iso_timestamp(value) or parse_date(" ".join(element.text_content().split()), language)
        if found:
            return found
    return None


def url_date(url: str | None) -> str | None:
    """A full date in the URL's path; a year and month alone are no day."""
    if not url:
        return None
    match = _URL_DAY.search(url.split("?", 1)[0])
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(3)), int(match.group(4))).isoformat()
    except ValueError:
        return None


def printed_date(tree: HtmlElement, title: str | None, language: str | None) -> str | None:
    """A full date printed just around the headline, else after a publication label near the top."""
    body = tree.find(".//body")
    pieces = _Pieces(_text_pieces(body if body is not None else tree))
    at = _headline_index(tree, pieces, title)
    if at is not None:
        for piece in pieces.window(max(0, at - _NEAR_BEFORE), at + _NEAR_AFTER):
            if _NOT_PUBLICATION.search(piece):
                continue
            found = parse_date(piece, language)
            if found:
                return found
    for index, piece in enumerate(pieces.window(0, _LABEL_PIECES)):
        if _LABEL.search(piece) and not _NOT_PUBLICATION.search(piece):
            # the date follows the label in the same piece or the next one
            following = pieces.window(index + 1, index + 2)
            found = parse_date(piece, language) or (parse_date(following[0], language) if following else None)
            if found:
                return found
    return None


class _Pieces:
    """The page's text pieces, read from the page only as far as asked for.

    Most pages' headline is near the top: reading every piece of a long page (comments,
    footers) cost more than the rest of the date search.
    """

    def __init__(self, pieces: Iterator[str]) -> None:
        self._source = pieces
        self._read: list[str] = []

    def __iter__(self) -> Iterator[str]:
        index = 0
        while self._fill(index + 1):
            yield self._read[index]
            index += 1

    def window(self, start: int, stop: int) -> list[str]:
        """``pieces[start:stop]`` as a list would give it."""
        self._fill(stop)
        return self._read[start:stop]

    def _fill(self, size: int) -> bool:
        """Reads pieces until there are ``size``; False when the page has fewer."""
        while len(self._read) < size:
            piece = next(self._source, None)
            if piece is None:
                return False
            self._read.append(piece)
        return True


def _text_pieces(root: HtmlElement) -> Iterator[str]:
    """The visible text of the page as short pieces, in document order; text of elements
    classed as hidden or as an update stamp is left out (a modification date is no publication)."""
    for element in root.iter():
        text = element.text
        if (
            text
            and isinstance(element.tag, str)
            and element.tag not in _SKIP_TEXT
            and not _NOT_PUBLICATION_CLASS.search(element.get("class") or "")
            and (piece := " ".join(text.split()))
        ):
            yield piece
        tail = element.tail
        if tail and (piece := " ".join(tail.split())):
            yield piece


def headline_keys(tree: HtmlElement, title: str | None) -> list[str]:
    """What the headline may read as, best first: the title's start, then up to two h1 texts."""
    keys = [title[:60]] if title else []
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if text:
            keys.append(text[:60])
        if len(keys) >= 3:
            break
    return keys


def _headline_index(tree: HtmlElement, pieces: _Pieces, title: str | None) -> int | None:
    """Where the headline is among the pieces: the first h1's text, else the title's start.

    The first key that matches any piece wins, at its first match: one pass over the pieces
    for all keys, stopping once the first key has matched (nothing can beat it)."""
    keys = headline_keys(tree, title)
    if not keys:
        return None
    first: list[int | None] = [None] * len(keys)
    for index, piece in enumerate(pieces):
        if len(piece) < 8:
            continue
        for rank, key in enumerate(keys):
            if first[rank] is None and (key.startswith(piece[:60]) or piece.startswith(key)):
                first[rank] = index
        if first[0] is not None:
            break
    return next((index for index in first if index is not None), None)


def _language(tree: HtmlElement) -> str | None:
    """The page's declared language as dateparser wants it: "de_CH" and "de-CH" are "de"."""
    return language_code(tree.get("lang"))


def iso_timestamp(value: str) -> str | None:
    """'2021-07-01T10:20:00Z' → '2021-07-01T10:20:00+00:00'; date-only stays a date; junk → None."""
    match = _ISO_PREFIX.match(value)
    if not match:
        return None
    year, month, day_of_month, hour, minute, second, zone = match.groups()
    try:
        day = date(int(year), int(month), int(day_of_month))
    except ValueError:
        return None
    if not 1990 <= day.year <= date.today().year + 1:
        return None
    if hour is None:
        return day.isoformat()
    if zone and zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    offset = "+00:00" if zone == "Z" else zone or ""
    try:
        parsed = datetime.fromisoformat(f"{day.isoformat()}T{hour}:{minute}:{second or '00'}{offset}")
    except ValueError:
        return day.isoformat()
    if parsed.hour == parsed.minute == parsed.second == 0 and parsed.tzinfo is None:
        return day.isoformat()  # midnight without a zone is a date in disguise
    return parsed.isoformat(timespec="seconds")
