"""The article pipeline: stages in order, and the record they produce."""

from __future__ import annotations

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

__all__ = ["PIPELINE_VERSION", "Article", "Pipeline", "Reject", "StageContext", "build_pipeline"]


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
