"""Leaf formats: single documents that are not text or HTML, each read by its own stage.

``DetectFormat`` asks each reader of ``LEAF_READERS`` whether it knows the bytes (magic,
name, declared type) and sets ``Article.format``; the pipeline's ``Route`` then runs that
reader in place of ``Decode``. A reader turns the bytes into text (or HTML) and the hints the
file carries (a title, a date, a URL); the text and HTML stages take it from there. Adding a
format is one module and one entry in ``LEAF_READERS``.
"""

from __future__ import annotations

from typing import Protocol

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.formats.docx import ReadDocx
from ingest_worker.pipeline.formats.eml import ReadEmail
from ingest_worker.pipeline.formats.markdown import ReadMarkdown
from ingest_worker.pipeline.formats.pdf import ReadPdf


class LeafReader(Protocol):
    name: str  # the stage's name in the record's timings
    format: str  # the value of ``Article.format`` it reads
    media_type: str  # recorded as ``source.content_type``

    def sniff(self, raw: bytes, name: str, declared: str) -> bool:
        """Whether the bytes (magic, structure), the file name (lower case, the last member of
        an archive path) or the declared type are this format's."""
        ...

    def __call__(self, doc: Article, ctx: StageContext) -> Article: ...


LEAF_READERS: tuple[LeafReader, ...] = (ReadPdf(), ReadDocx(), ReadEmail(), ReadMarkdown())

__all__ = ["LEAF_READERS", "LeafReader"]
