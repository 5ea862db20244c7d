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


@cache
def warm_up() -> None:
    """The language model and dateparser's tables, built once per process.

    Celery's main process calls it before it forks the pool (``app._warm_shared``): the pool
    processes inherit them, copy-on-write, and each new one starts without loading its own
    (the model alone took 0.6-2.8 s of CPU in every pool process and every replacement).
    Results do not depend on it: these are caches the first document would otherwise fill.
    """
    from ingest_worker.pipeline.language import _identifier
    from ingest_worker.pipeline.text.dates import _dateparser

    _identifier()
    # time zones, English, and the calendar words that pick a line's candidate languages
    _dateparser("Wednesday, 3 March 2021 10:20 CET", None)
