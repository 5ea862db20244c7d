"""The article pipeline: stages in order, and the record they produce."""

from __future__ import annotations

from functools import cache

from ingest_worker.pipeline.base import Article, Pipeline, Reject, Route, StageContext
from ingest_worker.pipeline.dateline import ExtractDateline
from ingest_worker.pipeline.decode import Decode
from ingest_worker.pipeline.dedup import Deduplicate, Fingerprint
from ingest_worker.pipeline.detect import DetectFormat
from ingest_worker.pipeline.formats import LEAF_READERS
from ingest_worker.pipeline.html import ExtractHtml
from ingest_worker.pipeline.language import DetectLanguage
from ingest_worker.pipeline.normalise import Normalise
from ingest_worker.pipeline.text import text_stages

PIPELINE_VERSION = "0.1.0"

__all__ = ["PIPELINE_VERSION", "Article", "Pipeline", "Reject", "StageContext", "build_pipeline", "warm_up"]


def build_pipeline() -> Pipeline:
    """Detect, then read: a leaf format (PDF, DOCX, email, Markdown) by its reader, text and
    HTML by ``Decode``; every later stage sees text or HTML alone."""
    return Pipeline(
        [
            DetectFormat(LEAF_READERS),
            Route("read", {reader.format: reader for reader in LEAF_READERS}, default=Decode()),
            ExtractHtml(),
            ExtractDateline(),
            *text_stages(),
            Normalise(),
            DetectLanguage(),
            Fingerprint(),
            Deduplicate(),
        ],
        version=PIPELINE_VERSION,
    )


#: Small documents run through the pipeline by ``warm_up``: a page dump in English, one in
#: German and an HTML page reach every per-process table the text and HTML stages build lazily.
_WARM_PARAGRAPHS = {
    "en": (
        "Harbour council approves new budget | Example News",
        "Home | News | Sport | Business",
        "Harbour council approves new budget",
        "By Jane Smith, 12 March 2024",
        "The harbour council approved the new budget on Tuesday after a debate that lasted most of the "
        "day, with members from all parties speaking about schools, roads and the cost of housing.",
        "The mayor said the plan would keep taxes flat for a second year. Critics said it was not enough.",
        "Sign up for our newsletter | Privacy policy | © 2024 Example Media",
    ),
    "de": (
        "Hafenrat beschließt neuen Haushalt | Beispiel Nachrichten",
        "Der Hafenrat hat am Dienstag nach einer langen Debatte den neuen Haushalt beschlossen, über den "
        "die Mitglieder aller Parteien den ganzen Tag gesprochen hatten.",
        "Die Bürgermeisterin sagte, die Steuern blieben auch im zweiten Jahr gleich. Kritiker sind "
        "nicht zufrieden.",
        "Klicken Sie hier, um Ihre Datenschutz-Einstellungen zu ändern.",
    ),
}


@cache
def warm_up() -> None:
    """Models, parser tables and the stages' lookup tables, built once per process.

    Celery's main process calls it before it forks the pool (``app._warm_shared``): the pool
    processes inherit them, copy-on-write, and each new one starts without loading its own
    (the language model alone took 0.6-2.8 s of CPU in every pool process and every
    replacement; the tables the first documents fill, ~0.3 s more). Results do not depend on
    it: these are caches the first documents would otherwise fill, and the documents run here
    go through a context of their own that is then dropped.
    """
    from ingest_worker.pipeline.context import memory_context
    from ingest_worker.pipeline.language import _identifier
    from ingest_worker.pipeline.text.dates import _dateparser

    _identifier()
    # time zones, English, and the calendar words that pick a line's candidate languages
    _dateparser("Wednesday, 3 March 2021 10:20 CET", None)
    english = _WARM_PARAGRAPHS["en"]
    body = "".join(f"<p>{paragraph}</p>" for paragraph in english[3:])
    html = (
        f"<html><head><title>{english[0]}</title></head><body><nav>{english[1]}</nav>"
        f"<article><h1>{english[2]}</h1>{body}</article></body></html>"
    )
    pages = [("\n\n".join(paragraphs), "warm.txt") for paragraphs in _WARM_PARAGRAPHS.values()]
    documents = [
        Article(raw=page.encode(), filename=name, source_name="warm", record_id=f"warm-{number}")
        for number, (page, name) in enumerate([*pages, (html, "warm.html")])
    ]
    build_pipeline().run_batch(documents, memory_context())
