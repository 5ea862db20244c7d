"""Dates as news sites print them, to ISO 8601 — fast paths first, dateparser only as a fallback.

dateparser knows ~200 locales but costs milliseconds per call, so it only sees short lines
that a cheap regex already found date-like, and its answers are cached. A date printed
without a year ("July 2") is never completed with a guessed year: such lines give no date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache

from ingest_worker.pipeline.text.leads import led

#: Lines longer than this are sentences that mention a date, not a date line.
MAX_DATE_LINE = 120

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner janvier enero gennaio janeiro januari styczeń stycznia ene gen janv",
        "february feb februar février febrero febbraio fevereiro februari luty lutego févr fev",
        "march mar märz mars marzo março maart marzec marca mär",
        "april apr avril abril aprile kwiecień kwietnia avr abr",
        "may mai mayo maggio maio mei maj maja mag",
        "june jun juni juin junio giugno junho czerwiec czerwca",
        "july jul juli juillet julio luglio julho lipiec lipca juil lug",
        "august aug août agosto augustus sierpień sierpnia ago aoû",
        "september sep sept septembre septiembre settembre setembro wrzesień września set",
        "october oct oktober octobre octubre ottobre outubro październik października okt ott out",
        "november nov novembre noviembre novembro listopad listopada",
        "december dec dezember décembre diciembre dicembre dezembro grudzień grudnia dez dic déc",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:\.|st|nd|rd|th|er|º)?\s*(?:de\s+)?({_MONTH})\.?,?\s*(?:de\s+)?(\d{{4}})\b", re.I
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_TIME = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:h]([0-5]\d)\s*(am|pm|a\.m\.|p\.m\.|uhr|h)?(?![\d.])", re.I)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
#: Cheap gate: a digit and either a month word or a numeric date shape.
HINT_PATTERN = rf"\d{{4}}|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b|\b({_MONTH})\b"
#: ... led by the characters its matches start with: a digit or a month's first letter.
_HINT = led(r"\d" + "".join(sorted({name[0] for name in _MONTHS})), HINT_PATTERN, re.I)


#: Month names and abbreviations in the languages above, case-folded, to month numbers.
MONTHS: dict[str, int] = _MONTHS


def is_month(word: str) -> bool:
    """ "Oct", "März.", "septiembre": a month name or abbreviation in any language listed above."""
    return word.casefold().rstrip(".") in _MONTHS


def looks_like_date(text: str) -> bool:
    return len(text) <= MAX_DATE_LINE and _DIGIT.search(text) is not None and bool(_HINT.search(text))


def parse_date(text: str, language: str | None = None) -> str | None:
    """ISO date (or date-time when a time is printed) of a short date-like line, else None."""
    if not looks_like_date(text):
        return None
    return _parse_cached(text.strip(), language)


@lru_cache(maxsize=4096)
def _parse_cached(text: str, language: str | None) -> str | None:
    found = _fast(text, language)
    # the slow path only for lines that print a day and a four-digit year in some other form
    if found is None and len(text) <= 60 and len(_NUMBER.findall(text)) >= 2 and _YEAR.search(text):
        found = _dateparser(text, language)
    if found is None:
        return None
    day, hour_minute = found
    if not 1990 <= day.year <= datetime.now(UTC).year + 1:
        return None
    if hour_minute is None:
        return day.isoformat()
    return f"{day.isoformat()}T{hour_minute[0]:02d}:{hour_minute[1]:02d}:00"


def _fast(text: str, language: str | None) -> tuple[date, tuple[int, int] | None] | None:
    """The date printed first in the line ("Bern, 17.08.2007 - Rede ... 18. August 2007" is the 17th)."""
    found: list[tuple[int, date]] = []
    iso = _ISO.search(text)
    if iso:
        day = _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if day and iso.group(4):
            return day, (int(iso.group(4)), int(iso.group(5)))
        if day:
            found.append((iso.start(), day))
    if (m := _DAY_MONTH.search(text)) and (
        day := _safe_date(int(m.group(3)), _MONTHS[m.group(2).casefold()], int(m.group(1)))
    ):
        found.append((m.start(), day))
    if (m := _MONTH_DAY.search(text)) and (
        day := _safe_date(int(m.group(3)), _MONTHS[m.group(1).casefold()], int(m.group(2)))
    ):
        found.append((m.start(), day))
    if m := _NUMERIC.search(text):
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        # "07/01/2021" is July 1 in English-language pages, 7 January elsewhere
        month_first = m.group(2) == "/" and language == "en" and first <= 12
        if day := _safe_date(year, first, second) if month_first else _safe_date(year, second, first):
            found.append((m.start(), day))
    if not found:
        return None
    return min(found, key=lambda hit: hit[0])[1], _time_of(text)


def _time_of(text: str) -> tuple[int, int] | None:
    m = _TIME.search(text)
    if not m:
        return None
    hour, minute, suffix = int(m.group(1)), int(m.group(2)), (m.group(3) or "").casefold()
    if suffix.startswith("p") and hour < 12:
        hour += 12
    elif suffix.startswith("a") and hour == 12:
        hour = 0
    return hour, minute


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dateparser(text: str, language: str | None) -> tuple[date, tuple[int, int] | None] | None:
    """The slow, broad fallback: only full dates (day, month and year printed) are accepted."""
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}
    try:
        parsed = dateparser.parse(
            text,
            languages=[language] if language else candidate_languages(text),
            settings=settings,
        )
    except Exception:  # dateparser raises assorted errors on odd input; a date is optional
        return None
    if parsed is None or str(parsed.year) not in text:
        # a year the line does not print is dateparser's invention: "1994;272:1661-5." (a
        # citation) reads as today, "C3+C5 1909" as 3 May 1909
        return None
    has_time = bool(_TIME.search(text))
    return parsed.date(), (parsed.hour, parsed.minute) if has_time else None


_LETTERS = re.compile(r"[^\W\d_]+")
_CALENDAR_KEYS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday",
)  # fmt: skip


def candidate_languages(text: str) -> list[str]:
    """The dateparser languages worth trying on a line of unknown language.

    Without languages dateparser tries every locale it has, in its own order, until one
    reads the line; a line none reads (most that get this far) builds all ~200 locales'
    patterns first: 4 s of CPU and 40 MB in each worker process. A locale can only read a
    full date in words through a month or weekday name it knows, so those locales are tried,
    in dateparser's order, with English (its first) always among them for dates in figures
    ("01.21.2020 07:00 AM").
    """
    words = _calendar_words()
    found: dict[str, None] = {"en": None}
    for word in _LETTERS.findall(text.casefold()):
        found.update(dict.fromkeys(words.get(word, ())))
    return sorted(found, key=_language_rank().__getitem__)


@lru_cache(maxsize=1)
def _language_rank() -> dict[str, int]:
    from dateparser.data.languages_info import language_order

    return {code: rank for rank, code in enumerate(language_order)}


@lru_cache(maxsize=1)
def _calendar_words() -> dict[str, tuple[str, ...]]:
    """Month and weekday names (and their abbreviations) of every dateparser language → the
    languages that have them. Read from dateparser's own data modules (~0.2 s, once)."""
    import importlib
    import pkgutil

    from dateparser.data import date_translation_data

    rank = _language_rank()
    words: dict[str, set[str]] = {}
    for module in pkgutil.iter_modules(date_translation_data.__path__):
        if module.name not in rank:
            continue
        info = importlib.import_module(f"{date_translation_data.__name__}.{module.name}").info
        for key in _CALENDAR_KEYS:
            for name in info.get(key, ()):
                for word in _LETTERS.findall(name.casefold()):
                    words.setdefault(word, set()).add(module.name)
    return {word: tuple(codes) for word, codes in words.items()}
