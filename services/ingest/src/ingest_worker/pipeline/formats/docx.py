"""Word documents (python-docx): the body's paragraphs in order; the title from the core
properties (or the first paragraph styled Title)."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import accept_text
from ingest_worker.pipeline.formats.hints import fill_hints

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200.0
_RATIO_FLOOR = 8 * 1024 * 1024


class ReadDocx:
    name = "docx"
    format = "docx"
    media_type = DOCX_TYPE

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        if not raw.startswith(b"PK\x03\x04"):
            return False
        if name.endswith((".docx", ".docm")) or declared == DOCX_TYPE:
            return True
        try:  # the central directory alone: cheap, nothing is inflated
            with zipfile.ZipFile(io.BytesIO(raw)) as package:
                return "word/document.xml" in package.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        doc.media_type = self.media_type
        try:
            with zipfile.ZipFile(io.BytesIO(doc.raw)) as package:
                infos = package.infolist()
                if "word/document.xml" not in {info.filename for info in infos}:
                    raise Reject("not an article: a zip file without word/document.xml")
                expanded = sum(info.file_size for info in infos)
        except zipfile.BadZipFile as exc:
            raise Reject(f"unreadable DOCX: {exc}") from None
        if expanded > MAX_EXPANDED_BYTES or (expanded > _RATIO_FLOOR and expanded / len(doc.raw) > MAX_RATIO):
            raise Reject(f"DOCX expands to {expanded} bytes (possible zip bomb)")
        try:
            document = docx.Document(io.BytesIO(doc.raw))
            paragraphs = [
                (p.text.strip(), p.style.name if p.style is not None else "") for p in document.paragraphs
            ]
            title = document.core_properties.title
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise Reject(f"unreadable DOCX: {type(exc).__name__}: {exc}") from None
        if not title:
            title = next((text for text, style in paragraphs if text and style == "Title"), None)
        fill_hints(doc, title=title)
        return accept_text(doc, "\n\n".join(text for text, _ in paragraphs if text), ctx)
