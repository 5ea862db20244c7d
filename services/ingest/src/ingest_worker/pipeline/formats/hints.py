"""What a leaf file says about itself fills the hints the uploader left empty."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ingest_core.dates import published_at_precision
from ingest_worker.pipeline.base import Article
from ingest_worker.pipeline.text.dates import parse_date

_ISO_DATE = re.compile(
    r"\A\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\Z"
)


def fill_hints(
    doc: Article,
    *,
    title: str | None = None,
    published_at: str | None = None,
    source_url: str | None = None,
    external_id: str | None = None,
) -> None:
    """The uploader's own hints win; the file's fill what they leave empty."""
    title = " ".join(title.split()) if title else None
    if title:
        doc.declared_title = doc.declared_title or title
        doc.title = doc.title or title
    if published_at:
        doc.declared_published_at = doc.declared_published_at or published_at
        doc.published_at = doc.published_at or published_at
    if source_url and not doc.source_url:
        doc.source_url = source_url.strip()
    if external_id and not doc.external_id:
        doc.external_id = external_id.strip()


def iso_date(value: object) -> str | None:
    """A datetime or an ISO 8601 string of a real date as ISO 8601; anything else ("2021-13-45",
    an instant beyond UTC's calendar) is no date."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if hasattr(value, "isoformat") and not isinstance(value, str):  # a date
        return str(value.isoformat())
    text = str(value or "").strip().strip("'\"")
    if not _ISO_DATE.match(text):
        return None
    iso = text.replace(" ", "T", 1) if len(text) > 10 else text
    return iso if published_at_precision(iso) is not None else None


def hinted_date(value: str | None, language: str | None = None) -> tuple[str | None, str | None]:
    """An uploader's ``published_at`` as the record's ISO 8601, and a warning when it is not one.

    The record promises ISO 8601 (the contract), so a hint passes as ISO ("2021-07-01 10:20"
    becomes "2021-07-01T10:20"), or read as a printed date ("July 2, 2021", "2. Juli 2021"),
    or not at all: then the document's own date is looked for and the record says why.
    """
    text = (value or "").strip()
    if not text:
        return None, None
    iso = iso_date(text)
    if iso is not None:
        return iso, None
    printed = parse_date(text, language)
    if printed is not None:
        return printed, None
    return None, f"published_at hint {text[:40]!r} is no date: ignored"
