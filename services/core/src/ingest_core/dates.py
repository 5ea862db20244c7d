"""Typing ``published_at``: how precise the ISO 8601 string is, and the instant it names.

The pipeline writes ``published_at`` as ISO 8601 text: a date alone (``2021-07-01``) when only
the day is known, else a date and time (``2021-07-01T10:20:37+00:00``). A time printed without
seconds ("10:20") is written with ``:00`` seconds, so a time whose seconds are zero counts as
known to the minute; only non-zero seconds (or a fraction) count as known to the second.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator

Precision = Literal["day", "minute", "second"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?")


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; one without a zone is taken as UTC. ValueError when its UTC instant
    is beyond what ``datetime`` holds ("0001-01-01T00:00:00+14:00")."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant is out of range in UTC") from None


#: An instant a client sends (a query's bound, an export's window), made UTC as it is validated:
#: an out-of-range one is a validation error (422), never an OverflowError later.
UtcInstant = Annotated[datetime, AfterValidator(as_utc)]


def published_at_precision(value: str | None) -> Precision | None:
    """``day``, ``minute`` or ``second``; None when there is no date or it is not ISO 8601."""
    parsed = _parse(value)
    return parsed[1] if parsed else None


def published_timestamp(value: str | None) -> datetime | None:
    """The instant ``published_at`` names, in UTC: a date alone is its midnight UTC and a time
    without a zone is taken as UTC. None when there is no date or it is not ISO 8601."""
    parsed = _parse(value)
    return parsed[0] if parsed else None


def _parse(value: str | None) -> tuple[datetime, Precision] | None:
    if not value:
        return None
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC), "day"
    clock = _CLOCK.match(text)
    if clock is None:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    try:
        stamp = as_utc(stamp)
    except ValueError:
        return None
    seconds, fraction = clock.group(3), clock.group(4)
    known_seconds = (seconds is not None and int(seconds) != 0) or bool(fraction and int(fraction))
    return stamp, "second" if known_seconds else "minute"
