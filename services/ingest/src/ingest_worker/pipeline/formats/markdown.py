"""Markdown: front matter (title, date, url) becomes hints; the markup is stripped, one
paragraph per block (headings, paragraphs, list items, quotes); code blocks are dropped."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import accept_text, decode_bytes
from ingest_worker.pipeline.formats.hints import fill_hints, iso_date

_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_TYPES = {"text/markdown", "text/x-markdown"}
MAX_FRONT_MATTER = 64 * 1024
_FRONT_MATTER = re.compile(
    r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL
)
_FIELD = re.compile(r"\A([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)\Z")
_TAG = re.compile(r"<[^>]{0,500}>")
# Raw HTML whose content is code or embedded, never article text: dropped with its content.
_HIDDEN_NAMES = "script|style|iframe|noscript|template|object|svg|textarea|select|button"
_HIDDEN_BLOCK = re.compile(rf"<({_HIDDEN_NAMES})\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_HIDDEN_OPEN = re.compile(rf"<({_HIDDEN_NAMES})\b", re.IGNORECASE)
_HIDDEN_CLOSE = re.compile(rf"</({_HIDDEN_NAMES})\s*>", re.IGNORECASE)
_TITLE_KEYS = ("title", "headline")
_DATE_KEYS = ("date", "published", "published_at", "pubdate", "publishdate")
_URL_KEYS = ("url", "link", "canonical_url", "canonical", "permalink", "source_url")
_NESTING_LIMIT = 100


class ReadMarkdown:
    name = "markdown"
    format = "markdown"
    media_type = "text/markdown"

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        return name.endswith(_SUFFIXES) or declared in _TYPES

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        doc.media_type = self.media_type
        text, encoding = decode_bytes(doc.raw)
        if text is None:
            raise Reject("undecodable bytes: no character encoding fits")
        doc.encoding = encoding
        if len(text) > ctx.max_text_chars:
            raise Reject(f"text too long: {len(text)} characters (limit {ctx.max_text_chars})")
        fields, body = front_matter(text)
        fill_hints(
            doc,
            title=_first(fields, _TITLE_KEYS),
            published_at=iso_date(_first(fields, _DATE_KEYS)),
            source_url=_first(fields, _URL_KEYS),
        )
        return accept_text(doc, markdown_text(body), ctx)


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """Top-level ``key: value`` pairs of a YAML front matter block, and the text after it.

    Only flat scalar fields are read (no YAML parser: no anchors, aliases or tags to abuse).
    """
    match = _FRONT_MATTER.match(text[: MAX_FRONT_MATTER + 16])
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        field = _FIELD.match(line.rstrip())
        if field and field.group(2):
            value = field.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            fields.setdefault(field.group(1).lower(), value)
    return fields, text[match.end() :]


def _first(fields: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((fields[key] for key in keys if fields.get(key)), None)


def markdown_text(source: str) -> str:
    """The text of Markdown, one paragraph per block."""
    parser = MarkdownIt("commonmark", {"maxNesting": _NESTING_LIMIT})
    paragraphs: list[str] = []
    for token in parser.parse(source):
        if token.type == "inline":
            text = " ".join(_inline_text(token.children or []).split())
            if text:
                paragraphs.append(text)
        elif token.type == "html_block":
            text = " ".join(_TAG.sub(" ", _HIDDEN_BLOCK.sub(" ", token.content)).split())
            if text:
                paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    hidden = 0  # inside inline <script>…</script> and the like: skipped
    for child in children:
        if child.type == "html_inline":
            if _HIDDEN_OPEN.match(child.content) and not child.content.rstrip().endswith("/>"):
                hidden += 1
            elif _HIDDEN_CLOSE.match(child.content):
                hidden = max(0, hidden - 1)
        elif hidden:
            continue
        elif child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            continue
        elif child.children:
            parts.append(_inline_text(child.children))
    return "".join(parts)
