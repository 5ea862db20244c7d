"""Input formats both the API and the offline runner must read the same way."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.txt")
JSONL_CONTENT_TYPES = {
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/x-jsonlines",
}


@dataclass(frozen=True)
class JsonlArticle:
    """One line of a JSON Lines batch: ``text`` or ``html`` plus optional metadata."""

    body: str
    content_type: str  # "text/plain" or "text/html"
    external_id: str | None = None
    title: str | None = None
    url: str | None = None
    published_at: str | None = None
    language: str | None = None
    source_name: str | None = None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""What ``json.loads`` leaves of a ``\\udXXX`` escape without its pair: not encodable as UTF-8."""


class JsonlError(ValueError):
    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


def is_jsonl(filename: str | None, content_type: str | None = None) -> bool:
    name = (filename or "").lower()
    kind = (content_type or "").split(";")[0].strip().lower()
    return name.endswith(JSONL_SUFFIXES) or kind in JSONL_CONTENT_TYPES


def parse_jsonl_article(line: bytes | str) -> JsonlArticle:
    """Raises JsonlError with a reason a person can act on."""
    try:
        obj = json.loads(line)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer past 4300 digits
        raise JsonlError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise JsonlError("invalid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise JsonlError("a JSON Lines article must be an object")
    external_id = _text(obj.get("id"))
    html, text = obj.get("html"), obj.get("text")
    if isinstance(html, str) and html.strip():
        body, content_type = html, "text/html"
    elif isinstance(text, str) and text.strip():
        body, content_type = text, "text/plain"
    else:
        raise JsonlError("article object has neither a non-empty 'text' nor 'html'", external_id)
    return JsonlArticle(
        body=_LONE_SURROGATE.sub("\ufffd", body),
        content_type=content_type,
        external_id=external_id,
        title=_text(obj.get("title")),
        url=_text(obj.get("url")),
        published_at=_text(obj.get("published_at")),
        language=_text(obj.get("language")),
        source_name=_text(obj.get("source_name") or obj.get("site_name")),
    )


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _LONE_SURROGATE.sub("\ufffd", str(value))
