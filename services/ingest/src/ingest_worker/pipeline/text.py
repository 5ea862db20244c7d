"""Plain-text articles: lines into paragraphs (the article-understanding stages refine this)."""

from __future__ import annotations

import re

from ingest_worker.pipeline.base import Article, StageContext

_BLANK_RUN = re.compile(r"\n\s*\n")


class ExtractPlainText:
    name = "text"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.content_type != "text/plain" or doc.text is None:
            return doc
        doc.extractor = doc.extractor or "plaintext"
        lines = doc.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        doc.paragraphs = [line.strip() for line in lines if line.strip()]
        return doc
