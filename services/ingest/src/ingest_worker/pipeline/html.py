"""HTML articles through trafilatura, with its metadata (htmldate, JSON-LD, sitename)."""

from __future__ import annotations

import trafilatura

from ingest_worker.pipeline.base import Article, Reject, StageContext


class ExtractHtml:
    name = "html"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.content_type != "text/html" or doc.html is None:
            return doc
        result = trafilatura.bare_extraction(
            doc.html,
            url=doc.source_url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            as_dict=True,
        )
        if not result or not (result.get("text") or "").strip():
            raise Reject("no article text found in the HTML page")
        assert isinstance(result, dict)
        doc.extractor = f"trafilatura {trafilatura.__version__}"
        doc.paragraphs = [p.strip() for p in result["text"].split("\n") if p.strip()]
        doc.title = doc.title or result.get("title")
        doc.description = doc.description or result.get("description")
        author = result.get("author")
        if author and not doc.authors:
            doc.authors = [a.strip() for a in author.split(";") if a.strip()]
        doc.published_at = doc.published_at or result.get("date")
        doc.site_name = doc.site_name or result.get("sitename")
        doc.source_url = doc.source_url or result.get("url")
        return doc
