"""A JSON file holding one article object or an array of them (the fields of JSON Lines).

Each article is a byte range of the upload read with the JSON Lines codec, so a worker never
parses the whole file. JSON that holds no article (a configuration, a list of numbers) is
refused as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ingest_core.containers.base import (
    Deadline,
    Limits,
    Part,
    Reader,
    Upload,
    member_name,
    refused,
    too_large,
)

_TYPES = {"application/json", "text/json"}
NOT_AN_ARTICLE = "not an article: JSON without text or html"
_WHITESPACE = " \t\r\n"


class JsonArticlesReader(Reader):
    kind = "json"

    def matches(self, upload: Upload) -> bool:
        return (
            upload.name.endswith(".json")
            or upload.media_type in _TYPES
            or upload.media_type.endswith("+json")
        )

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        if upload.size > limits.max_parse_bytes:
            yield refused(
                upload, f"JSON file too large: {upload.size} bytes (limit {limits.max_parse_bytes})"
            )
            return
        upload.fileobj.seek(0)
        data = upload.fileobj.read()
        upload.fileobj.seek(0)
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = data[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            yield refused(upload, f"invalid JSON: {exc}")
            return
        start = len(text) - len(text.lstrip(_WHITESPACE))
        if text[start : start + 1] == "[":
            yield from _split_array(upload, text, start, bom, limits)
            return
        try:
            value = json.loads(text)
        except ValueError as exc:  # JSONDecodeError, or an integer past Python's 4300 digits
            yield refused(upload, f"invalid JSON: {exc}")
            return
        except RecursionError:
            yield refused(upload, "invalid JSON: nested too deeply")
            return
        if not _is_article(value):
            yield refused(upload, NOT_AN_ARTICLE)
        elif upload.size > limits.max_file_bytes:
            yield too_large(upload.filename, upload.size, limits)
        else:
            yield Part(upload.filename, None, 0, upload.size, "jsonl")


def _split_array(upload: Upload, text: str, start: int, bom: int, limits: Limits) -> Iterator[Part]:
    """Finds each element's range with ``raw_decode``; byte offsets follow the characters."""
    decoder = json.JSONDecoder()
    deadline = Deadline(limits.max_seconds)
    items: list[tuple[int, int, Any]] = []  # (byte offset, byte length, value)
    position, byte_position = start + 1, bom + len(text[: start + 1].encode("utf-8"))
    try:
        while True:
            skip = _skip(text, position)
            byte_position += len(text[position:skip].encode("utf-8"))
            position = skip
            if text[position : position + 1] == "]":
                break
            if items:
                if text[position : position + 1] != ",":
                    raise json.JSONDecodeError("expected ',' or ']'", text, position)
                skip = _skip(text, position + 1)
                byte_position += len(text[position:skip].encode("utf-8"))
                position = skip
            value, end = decoder.raw_decode(text, position)
            length = len(text[position:end].encode("utf-8"))
            items.append((byte_position, length, value))
            position, byte_position = end, byte_position + length
            if len(items) > limits.max_members:
                yield refused(upload, f"JSON array has more than {limits.max_members} items (limit)")
                return
            if deadline.expired():
                yield refused(upload, deadline.reason)
                return
        if text[position + 1 :].strip(_WHITESPACE):
            raise json.JSONDecodeError("extra data after the array", text, position + 1)
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's 4300 digits
        yield refused(upload, f"invalid JSON: {exc}")
        return
    except RecursionError:
        yield refused(upload, "invalid JSON: nested too deeply")
        return
    if not any(_is_article(value) for _, _, value in items):
        yield refused(upload, NOT_AN_ARTICLE)
        return
    for number, (offset, length, value) in enumerate(items, start=1):
        name = member_name(upload.filename or "articles.json", str(number))
        if not isinstance(value, dict):
            yield Part(name, None, rejected_reason="a JSON array item must be an article object")
        elif length > limits.max_file_bytes:
            yield too_large(name, length, limits)
        else:
            yield Part(name, None, offset, length, "jsonl")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _is_article(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    return any(isinstance(value.get(key), str) and value[key].strip() for key in ("text", "html"))
