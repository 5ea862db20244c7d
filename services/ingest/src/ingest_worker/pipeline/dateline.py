"""Wire-style datelines ("Moscow [Russia], July 2 (ANI): …") in HTML articles.

Plain text finds them while it reads the header; HTML reaches the body through trafilatura,
so the same rule runs here on the first paragraph, and the opening leaves the body.
"""

from __future__ import annotations

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.text.metadata import split_dateline


class ExtractDateline:
    name = "dateline"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.content_type != "text/html" or not doc.paragraphs or doc.dateline_place:
            return doc
        found = split_dateline(doc.paragraphs[0])
        if found is None:
            return doc
        place, agency, opening, rest = found
        doc.dateline_place, doc.dateline_agency = place, agency or doc.dateline_agency
        doc.remove(opening.strip(), "dateline")
        if rest:
            doc.paragraphs[0] = rest
        else:
            del doc.paragraphs[0]
        return doc
