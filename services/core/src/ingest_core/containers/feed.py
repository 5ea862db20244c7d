"""RSS and Atom feeds (feedparser): one document per item.

A feed item is not a byte range of the feed, so each item's locator covers the whole feed
and carries the item's index; the worker parses the feed again (once per batch, cached) and
takes that item. Full content (``content:encoded``, Atom ``content``) wins over the summary.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest_core.containers.base import (
    Limits,
    Opened,
    Opener,
    Part,
    Reader,
    Unreadable,
    Upload,
    member_name,
    refused,
)
from ingest_core.tasks import BatchDocument, Codec, Hints

_SUFFIXES = (".rss", ".atom", ".rdf", ".feed")
_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
# The root element after an XML prolog (declaration, comments, doctype).
_XML_ROOT = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?[^>]*\?>|<!--.*?-->|<!doctype[^>\[]*(?:\[.*?\])?\s*>)\s*)*<([A-Za-z_][\w.:-]*)""",
    re.IGNORECASE | re.DOTALL,
)
_FEED_ROOTS = {b"rss", b"feed", b"rdf"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


class FeedReader(Reader):
    kind = "feed"

    def matches(self, upload: Upload) -> bool:
        if upload.name.endswith(_SUFFIXES) or upload.media_type in _TYPES:
            return True
        return is_feed(upload.head())

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        if upload.size > limits.max_parse_bytes:
            yield refused(upload, f"feed too large: {upload.size} bytes (limit {limits.max_parse_bytes})")
            return
        upload.fileobj.seek(0)
        data = upload.fileobj.read()
        upload.fileobj.seek(0)
        try:
            entries = _entries(data)
        except Unreadable as exc:
            yield refused(upload, exc.reason)
            return
        if len(entries) > limits.max_members:
            yield refused(upload, f"feed has {len(entries)} items (limit {limits.max_members})")
            return
        for index, entry in enumerate(entries):
            name = member_name(upload.filename or "feed.xml", str(index + 1))
            if _body(entry) is None:
                yield Part(name, None, rejected_reason="feed item has neither content nor a summary")
            else:
                yield Part(name, None, 0, upload.size, "feed-item", index=index)

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {"feed-item": open_item}


def is_feed(head: bytes) -> bool:
    match = _XML_ROOT.match(head)
    return bool(match) and match.group(1).rpartition(b":")[2].lower() in _FEED_ROOTS  # type: ignore[union-attr]


class _LastFeed:
    """The last feed parsed, by its range: a batch of a feed's items parses it once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[str, int, int, int] | None = None
        self.value: tuple[Any, list[Any]] = ({}, [])

    def get(self, doc: BatchDocument, data: bytes) -> tuple[Any, list[Any]]:
        locator = doc.locator
        key = (locator.raw_key, locator.offset, locator.length, len(data))
        with self.lock:
            if self.key == key:
                return self.value
        parsed = _parse(data)
        value = (parsed.get("feed", {}), list(parsed.get("entries", [])))
        with self.lock:
            self.key, self.value = key, value
        return value


_LAST_FEED = _LastFeed()


def open_item(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """The feed's item ``locator.index``: its content (or summary) and its hints."""
    locator = doc.locator
    try:
        cached = _LAST_FEED.get(doc, data)
    except Exception as exc:  # feedparser's own errors are many and untyped
        raise Unreadable(f"unreadable feed: {exc}") from None
    channel, entries = cached
    index = locator.index or 0
    if index >= len(entries):
        raise Unreadable(f"feed item {index + 1} not found")
    entry = entries[index]
    hints = Hints(
        title=_clean(entry.get("title")),
        source_url=_clean(entry.get("link")),
        source_name=_clean(channel.get("title")),
        language=_language(channel.get("language")),
        published_at=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        external_id=_clean(entry.get("id")),
    )
    body = _body(entry)
    if body is None:
        raise Unreadable("feed item has neither content nor a summary", hints)
    text, content_type = body
    raw = text.encode("utf-8")
    if len(raw) > max_bytes:
        raise Unreadable(f"file too large: {len(raw)} bytes (limit {max_bytes})", hints)
    return Opened(raw, content_type, hints)


def _parse(data: bytes) -> Any:
    # A stream, never a string: feedparser fetches a string that looks like a URL.
    return feedparser.parse(io.BytesIO(data), resolve_relative_uris=True, sanitize_html=True)


def _entries(data: bytes) -> list[Any]:
    try:
        parsed = _parse(data)
    except Exception as exc:  # feedparser's own errors are many and untyped
        raise Unreadable(f"unreadable feed: {exc}") from None
    entries = list(parsed.get("entries", []))
    if not entries:
        problem = parsed.get("bozo_exception")
        if problem is not None:
            raise Unreadable(f"unreadable feed: {problem}")
        raise Unreadable("feed has no items")
    return entries


def _body(entry: Any) -> tuple[str, str] | None:
    """Full content when the item has it, else its summary: (text, "text/html" | "text/plain")."""
    candidates = [c for c in entry.get("content") or [] if str(c.get("value") or "").strip()]
    candidates.sort(key=lambda c: c.get("type") not in _HTML_TYPES)  # HTML content first
    if candidates:
        return str(candidates[0]["value"]), _media(candidates[0].get("type"))
    summary = entry.get("summary")
    if isinstance(summary, str) and summary.strip():
        detail = entry.get("summary_detail") or {}
        return summary, _media(detail.get("type"))
    return None


def _media(declared: str | None) -> str:
    return "text/html" if (declared or "text/html") in _HTML_TYPES else "text/plain"


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _language(value: Any) -> str | None:
    code = (_clean(value) or "")[:2].lower()
    return code if len(code) == 2 and code.isalpha() else None


def _date(parsed: Any) -> str | None:
    """feedparser's UTC time tuple as ISO 8601."""
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = (int(value) for value in parsed[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()
    except (TypeError, ValueError):
        return None
