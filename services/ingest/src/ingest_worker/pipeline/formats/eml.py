"""Email messages (stdlib ``email``): the text body, or the HTML one when there is no text;
``Subject`` → title, ``Date`` → publication date, ``Message-ID`` → external id."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import accept_text
from ingest_worker.pipeline.formats.hints import fill_hints

_TYPES = {"message/rfc822"}
_HEADER_LINE = re.compile(rb"\A[A-Za-z][A-Za-z0-9-]{0,60}:[^\r\n]*\Z|\A[ \t]+\S")
_KNOWN = {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received", b"return-path"}
MAX_PARTS = 1_000


class ReadEmail:
    name = "eml"
    format = "eml"
    media_type = "message/rfc822"

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        if name.endswith(".eml") or declared in _TYPES:
            return True
        return _looks_like_headers(raw[:4096])

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        doc.media_type = self.media_type
        try:
            message = BytesParser(policy=policy.default).parsebytes(doc.raw)
            assert isinstance(message, EmailMessage)
            if sum(1 for _ in message.walk()) > MAX_PARTS:
                raise Reject(f"email has more than {MAX_PARTS} parts")
            body = message.get_body(preferencelist=("plain", "html"))
            subject = str(message.get("subject") or "") or None
            date = _date(message)
            message_id = str(message.get("message-id") or "").strip("<> ") or None
            content = body.get_content() if body is not None else None
        except Reject:
            raise
        except (LookupError, ValueError, TypeError, AttributeError, IndexError, RecursionError) as exc:
            raise Reject(f"unreadable email: {type(exc).__name__}: {exc}") from None
        if not isinstance(content, str) or not content.strip():
            raise Reject("email without a text or HTML body")
        fill_hints(doc, title=subject, published_at=date, external_id=message_id)
        assert body is not None
        return accept_text(doc, content, ctx, html=body.get_content_subtype() == "html")


def _date(message: EmailMessage) -> str | None:
    value = message.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _looks_like_headers(head: bytes) -> bool:
    """A header block of at least three lines naming From and another mail header."""
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = block.replace(b"\r\n", b"\n").split(b"\n")
    if len(lines) < 3 or not all(_HEADER_LINE.match(line) for line in lines):
        return False
    names = {line.split(b":", 1)[0].lower() for line in lines if not line[:1].isspace()}
    return b"from" in names and len(names & _KNOWN) >= 3
