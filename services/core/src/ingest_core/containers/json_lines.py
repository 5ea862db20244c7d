"""JSON Lines: one article object per line, each line a byte range of the upload."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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
    too_large,
)
from ingest_core.formats import JsonlError, is_jsonl, parse_jsonl_article
from ingest_core.tasks import BatchDocument, Codec, Hints


class JsonLinesReader(Reader):
    kind = "jsonl"

    def matches(self, upload: Upload) -> bool:
        return is_jsonl(upload.filename, upload.content_type)

    def split(self, upload: Upload, limits: Limits) -> Iterator[Part]:
        if upload.size > limits.max_expanded_bytes:
            yield refused(upload, "JSON Lines batch too large")
            return
        upload.fileobj.seek(0)
        offset = 0
        for number, line in enumerate(upload.fileobj, start=1):
            start, offset = offset, offset + len(line)
            body = line.rstrip(b"\r\n")
            if not body.strip():
                continue
            name = member_name(upload.filename or "batch.jsonl", str(number))
            if len(body) > limits.max_file_bytes:
                yield too_large(name, len(body), limits)
                continue
            yield Part(name, None, start, len(body), "jsonl")
        upload.fileobj.seek(0)

    @property
    def codecs(self) -> Mapping[Codec, Opener]:
        return {"jsonl": open_article}


def open_article(doc: BatchDocument, data: bytes, max_bytes: int) -> Opened:
    """One JSON article object (a JSON Lines line, an element of a JSON array) and its hints."""
    try:
        article = parse_jsonl_article(data)
    except JsonlError as exc:
        raise Unreadable(exc.reason, Hints(external_id=exc.external_id)) from None
    hints = Hints(
        title=article.title,
        source_url=article.url,
        source_name=article.source_name,
        language=article.language,
        published_at=article.published_at,
        external_id=article.external_id,
    )
    return Opened(article.body.encode("utf-8"), article.content_type, hints)
