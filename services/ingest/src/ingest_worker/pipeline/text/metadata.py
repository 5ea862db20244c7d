"""Title, standfirst, byline, date, dateline, captions and site name from plain-text lines.

Works after the boilerplate classifier: the *header zone* is everything before the first body
line, which is where pages put headline, standfirst, byline and date; captions and credits
can sit anywhere; the copyright footer names the site. Each line taken out of the body is
recorded with its reason, so the audit trail shows what became metadata.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from ingest_worker.pipeline.authors import Credits, clean_authors
from ingest_worker.pipeline.text.cues import PHOTO_CREDIT, PHOTO_CREDIT_WORDS
from ingest_worker.pipeline.text.dates import is_month, looks_like_date, parse_date
from ingest_worker.pipeline.text.segment import (
    BODY,
    BOILERPLATE,
    BYLINE,
    CAPTION,
    DATE,
    DESCRIPTION,
    REPEAT,
    TITLE,
    Layout,
    Line,
)

_NAME_WORD = r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]*|[a-z]{1,3}(?= [A-ZÀ-Þ]))"  # "Moqadas", "de" in "Juan de la Cruz"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,4}}"
_JOIN = r"(?:\s*,\s*|\s+(?:and|und|y|et|e|en|i|og|och|&)\s+)"
_BY = re.compile(
    rf"^(?i:(?:written |text |story |report(?:ed)? |posted |words )?(?:by|von|por|par|di|da|door|przez|af|av"
    rf"|autor(?:in)?|author|text|redaktion))\s*:?\s+(?P<names>{_NAME}(?:{_JOIN}{_NAME})*)"
)
_AGENCIES = (
    "Reuters|AP|AFP|dpa|ANI|PTI|IANS|Bloomberg|UPI|EFE|ANSA|Xinhua|TASS|Kyodo|Yonhap|KNA|epd|APA|SDA"
    "|Associated Press|Agence France-Presse|Sputnik|Europa Press|Notimex|Lusa"
)
_NAME_AGENCY = re.compile(rf"^(?P<names>{_NAME}(?:{_JOIN}{_NAME})*)\s*[,|/–-]\s*(?:{_AGENCIES})\.?$")
_LONE_NAME = re.compile(rf"^{_NAME}$")
_DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Þ][\w'’.\- ]{1,40}?)"
    r"(?:\s*\[(?P<region>[^\]\n]{2,40})\])?"
    r"(?:\s*,\s*(?P<region2>[A-ZÀ-Þ][\w.\- ]{1,25}?))??"
    r"(?:\s*,\s*(?P<date>\w{3,10}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{1,2}\.?\s+\w{3,10}\.?(?:\s+\d{4})?))?"
    r"\s*\((?P<agency>[A-Za-z][\w.&/\- ]{1,24})\)\s*[:\-–—]+\s*"
)
_CAPS_DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Þ][A-ZÀ-Þ.'\- ]{2,30})(?:,\s*(?P<region>[A-Z][\w. ]{1,25}))?\s+[—–-]{1,2}\s+"
)
_DATE_AS_REGION = re.compile(r"^[^\W\d_]{3,10}\.?\s+\d{1,2}\s*$")
_COPYRIGHT_MARK = re.compile(r"copyright|©|\(c\)", re.I)
_COPYRIGHT_PREFIX = re.compile(r"^(?:\s|©|\(c\)|copyright|\d{4}|[-–,.])*", re.I)
_RESERVED = re.compile(r"all rights|alle rechte|todos los|tous droits|tutti i diritti", re.I)
_DESIGNED = re.compile(r"\b(design|developed|powered|built|hosted|theme)\b", re.I)
#: Any credit word anywhere in a line: one regex pass instead of a substring test per word.
_CREDIT_WORD = re.compile("|".join(map(re.escape, sorted(PHOTO_CREDIT_WORDS))))

#: A standfirst is one paragraph of this many characters at most.
MAX_STANDFIRST = 600
#: The headline a standfirst follows (and that is said again below it) is this many lines above it.
STANDFIRST_HEADLINE_LINES = 1
MAX_CAPTION = 300
MAX_BODY_CAPTION = 200
#: Removed lines that may be captions: dropped for their shape, or for a credit at their end.
_CAPTION_REASONS = ("short_fragment", "low_text_density", "photo_credit")
#: Lines above the body that may hold headline, byline and date.
HEADER_LINES = 25


@dataclass
class TextMetadata:
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    dateline_place: str | None = None
    dateline_agency: str | None = None
    captions: list[str] = field(default_factory=list)
    site_name: str | None = None
    removed: list[tuple[str, str]] = field(default_factory=list)  # (text, reason) for the audit trail


def extract_metadata(layout: Layout, *, repeated: set[str] | None = None) -> TextMetadata:
    """Reads metadata off the layout and marks the lines it consumed."""
    meta = TextMetadata()
    lines = layout.lines
    repeated = repeated or set()
    body = [line for line in lines if line.kind == BODY]
    header_end = body[0].index if body else len(lines)

    for line in lines:
        if line.kind == BOILERPLATE and line.reason == "copyright_footer":
            meta.site_name = site_name_from_copyright(line.text) or meta.site_name

    # headline, byline and date sit just above the body: the rest of the header is navigation
    header = lines[max(0, header_end - HEADER_LINES) : header_end]
    bylines: dict[str, Credits | None] = {}  # the second pass re-reads mostly the same lines
    _dates_and_bylines(header, meta, layout.language, bylines)
    _standfirst(lines, body, meta, layout.language)
    body = [line for line in lines if line.kind == BODY]
    header_end = body[0].index if body else len(lines)
    header = lines[max(0, header_end - HEADER_LINES) : header_end]
    _dates_and_bylines(header, meta, layout.language, bylines)
    _title(header, meta, repeated)
    _captions(lines, meta)
    if body:
        _dateline(next(line for line in lines if line.kind == BODY), meta)
    return meta


def _take(line: Line, kind: str, reason: str, meta: TextMetadata) -> None:
    """Moves a line out of the body (or re-labels furniture) and records it once."""
    if line.kind in (TITLE, DESCRIPTION, BYLINE, DATE, CAPTION):
        return
    line.mark(kind, reason)
    meta.removed.append((line.text, reason))


def _dates_and_bylines(
    header: list[Line], meta: TextMetadata, language: str | None, bylines: dict[str, Credits | None]
) -> None:
    """``bylines`` caches ``read_byline`` per text for the one page (its results are never mutated here)."""
    for i, line in enumerate(header):
        if line.kind in (TITLE, DESCRIPTION, BYLINE, DATE, CAPTION, REPEAT):
            continue
        text = line.text
        if len(text) > 160:
            continue
        if text in bylines:
            credits = bylines[text]
        else:
            credits = bylines[text] = read_byline(text)
        found_date = parse_date(text, language) if looks_like_date(text) else None
        if found_date and meta.published_at is None and len(text.split()) <= 14:
            meta.published_at = found_date
            if credits and not meta.authors:
                _credit(meta, credits)
            _take(line, DATE, "date", meta)
            continue
        if credits and not meta.authors:
            _credit(meta, credits)
            _take(line, BYLINE, "byline", meta)
            continue
        if not meta.authors and _LONE_NAME.match(text) and 2 <= len(text.split()) <= 4:
            beside = header[max(0, i - 1) : i] + header[i + 1 : i + 2]
            # the cheap test first: a lone name is a byline only beside a date
            if any(looks_like_date(other.text) for other in beside):
                lone = clean_authors([text])
                if lone.authors:
                    _credit(meta, lone)
                    _take(line, BYLINE, "byline", meta)


def _credit(meta: TextMetadata, credits: Credits) -> None:
    meta.authors = meta.authors or credits.authors
    meta.dateline_agency = meta.dateline_agency or credits.agency


def parse_byline(text: str) -> list[str]:
    """People named by "By X and Y", "Von X", "X, Reuters"; [] when the line is not a byline."""
    credits = read_byline(text)
    return credits.authors if credits else []


def read_byline(text: str) -> Credits | None:
    """People and agency of a byline line ("By X and Y", "X, Reuters", "By Reuters"), cleaned by
    ``authors.clean_authors``; None when the line is not a byline or names nobody."""
    scan = text[:160]
    match = _BY.match(scan) or _NAME_AGENCY.match(scan)
    if not match:
        return None
    names = [name for name in re.split(_JOIN, match.group("names")) if name.strip(" .,")]
    # a byline is a few names, each of one to five words
    if not names or len(names) > 6 or any(len(name.split()) > 5 for name in names):
        return None
    credits = clean_authors([match.group(0)])
    return credits if credits.authors or credits.agency else None


def _standfirst(lines: list[Line], body: list[Line], meta: TextMetadata, language: str | None) -> None:
    """The first body paragraph is a standfirst when it sits inside the page's header block.

    That block is headline, standfirst, then byline or date and the headline said again (a
    page dump prints the title, then the H1 over the article), then the article. A first
    paragraph followed only by a byline or date is usually the article's own opening (news
    sites print the date between headline and text), so it stays in the body.
    """
    if len(body) < 2:
        return
    first = body[0]
    # the article proper starts at the next paragraph; short lines before it are header lines
    second = next((line for line in body[1:] if _paragraph_like(line)), body[1])
    if len(first.text) > MAX_STANDFIRST or not first.last_in_block:
        return
    between = lines[first.index + 1 : second.index]
    headline = {
        line.key
        for line in lines[max(0, first.index - STANDFIRST_HEADLINE_LINES) : first.index]
        if len(line.text.split()) >= 3  # a headline, not a section name the menu says again
    }
    if not any(line.kind == REPEAT and line.key in headline for line in between):
        return
    if not any(
        line.kind in (BYLINE, DATE)
        or parse_byline(line.text)
        or (looks_like_date(line.text) and parse_date(line.text, language))
        for line in between
    ):
        return
    meta.description = first.text
    _take(first, DESCRIPTION, "standfirst", meta)
    for line in between:
        if line.kind == BODY:  # byline or kicker between standfirst and article: header zone
            line.mark(BOILERPLATE, "short_fragment")


def _paragraph_like(line: Line) -> bool:
    return len(line.text) >= 70 or line.text.endswith((".", "!", "?", "…", "。"))


def _title(header: list[Line], meta: TextMetadata, repeated: set[str]) -> None:
    candidates = [line for line in header if _title_like(line)]
    if not candidates:
        return
    chosen = next((line for line in candidates if line.key in repeated), None)
    if chosen is None:
        # the headline sits right above standfirst, byline and date: the last candidate
        chosen = candidates[-1]
        if chosen.reason not in ("short_fragment", "") or len(header) - chosen.index > 8:
            return
    meta.title = chosen.text
    _take(chosen, TITLE, "title", meta)


def _title_like(line: Line) -> bool:
    if line.kind not in (BOILERPLATE, BODY) or (line.kind == BOILERPLATE and line.reason != "short_fragment"):
        return False
    words = len(line.text.split())
    text = line.text
    return 2 <= words <= 30 and len(text) <= 250 and not text.endswith((":", ",")) and text[:1].isalnum()


def _captions(lines: list[Line], meta: TextMetadata) -> None:
    """Short lines that credit a photo. Both patterns run once over the candidates joined by NUL
    (no match spans it), so most pages cost two regex passes instead of two per line."""
    picked = [line for line in lines if _caption_candidate(line)]
    if not picked:
        return
    scans = [line.scan for line in picked]
    lowered = [scan.lower() for scan in scans]
    # the boilerplate stage already read a credit at the end of some lines ("(Foto: dpa)")
    read = {i for i, line in enumerate(picked) if line.kind == BOILERPLATE and line.reason == "photo_credit"}
    worded = _lines_matching(_CREDIT_WORD, lowered)
    if not worded and not read:
        return
    # the credit pattern only decides among lines that hold one of its words
    worded_lines = sorted(worded)
    hits = _lines_matching(PHOTO_CREDIT, [scans[i] for i in worded_lines]) if worded else set()
    credited = {worded_lines[k] for k in hits}
    for i, line in enumerate(picked):
        if i in read or i in credited:
            meta.captions.append(line.text)
            _take(line, CAPTION, "photo_credit", meta)


def _caption_candidate(line: Line) -> bool:
    if line.kind not in (BODY, BOILERPLATE) or len(line.text) > MAX_CAPTION:
        return False
    if line.kind == BOILERPLATE and line.reason not in _CAPTION_REASONS:
        return False
    # a body line is a caption only when short: long prose may quote an agency or a photographer
    return not (line.kind == BODY and len(line.text) > MAX_BODY_CAPTION)


def _lines_matching(pattern: re.Pattern[str], texts: list[str]) -> set[int]:
    """Which of ``texts`` (none holding a NUL) ``pattern`` finds something in: one pass over them joined.

    After a hit the search resumes at the next line's start, so a line pays for its first
    match only (the credit words' "ap" and "epa" hit many times in prose). No match spans a
    NUL, so a search from there finds what a search of that line alone finds.
    """
    starts = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=0))
    joined = "\x00".join(texts)
    search, last = pattern.search, len(starts) - 1
    found: set[int] = set()
    match = search(joined)
    while match is not None:
        line = bisect_right(starts, match.start()) - 1
        found.add(line)
        if line == last:
            break
        match = search(joined, starts[line + 1])
    return found


def _dateline(line: Line, meta: TextMetadata) -> None:
    """ "Moscow [Russia], July 2 (ANI): ..." → place, agency; the opening leaves the paragraph."""
    scan = line.scan
    match = _DATELINE.match(scan)
    if match:
        place = match.group("place").strip()
        region = match.group("region") or match.group("region2")
        meta.dateline_agency = match.group("agency").strip()
    else:
        match = _CAPS_DATELINE.match(scan)
        if not match or len(match.group("place").split()) > 4:
            return
        place, region = match.group("place").strip(), match.group("region")
        if region and _DATE_AS_REGION.match(region) and is_month(region.split()[0]):
            region = None  # "STAMFORD, Oct 20 -": the dateline's date, not a region
    if place.isupper():
        place = place.title()
    meta.dateline_place = f"{place}, {region.strip()}" if region else place
    opening = line.text[: match.end()]
    meta.removed.append((opening.strip(), "dateline"))
    line.text = line.text[match.end() :]


def split_dateline(paragraph: str) -> tuple[str | None, str | None, str, str] | None:
    """(place, agency, opening, rest) of a wire-style opening, for text that is already a
    paragraph (HTML extraction); None when the paragraph does not open with a dateline."""
    line = Line(text=paragraph, index=0, block=0, first_in_block=True, last_in_block=True)
    meta = TextMetadata()
    _dateline(line, meta)
    if not meta.removed:
        return None
    return meta.dateline_place, meta.dateline_agency, meta.removed[0][0], line.text.lstrip()


def site_name_from_copyright(text: str) -> str | None:
    """ "Copyright 2022 © TKG: A public media project" → "TKG"; None for "Designed by ..." lines."""
    scan = text[:200]
    mark = _COPYRIGHT_MARK.search(scan)
    if not mark or _DESIGNED.search(scan[: mark.start()]):
        return None
    after = _COPYRIGHT_PREFIX.sub("", scan[mark.end() :], count=1)
    before = scan[: mark.start()].strip(" |-–—,.:")
    # the name follows the mark ("© 2022 Name. All rights reserved") or precedes it ("Name © 2022")
    rest = after if any(ch.isalpha() for ch in after[:3]) else before
    name = re.split(r"\s*[:|•·]\s*|\s[-–—]\s|\.\s|,\s|\s\(", rest, maxsplit=1)[0].strip(" .,")
    if _RESERVED.match(name):
        return None
    if not name or len(name) > 60 or len(name.split()) > 6 or not any(ch.isalpha() for ch in name):
        return None
    return name
