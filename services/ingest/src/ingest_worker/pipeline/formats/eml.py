"""Email messages (stdlib ``email``): the text body, or the HTML one when there is no text;
``Subject`` → title, ``Date`` → publication date, ``Message-ID`` → external id.

Attachments never reach this reader: ``ingest_core.containers.mail`` splits them off as
documents of their own; what comes here is the message up to its body."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from ingest_core.containers.mail import looks_like_mail_headers
from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import accept_text
from ingest_worker.pipeline.formats.hints import fill_hints

_TYPES = {"message/rfc822"}
MAX_PARTS = 1_000


class ReadEmail:
    name = "eml"
    format = "eml"
    media_type = "message/rfc822"

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        if name.endswith(".eml") or declared in _TYPES:
            return True
        return looks_like_mail_headers(raw[:4096])

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
