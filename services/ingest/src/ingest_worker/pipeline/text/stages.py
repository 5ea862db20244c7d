"""The plain-text stages, in pipeline order: segment → repeats → boilerplate → metadata → paragraphs.

They share one ``Layout`` kept in ``doc.layout``. ``SegmentText`` builds it
for plain-text uploads only; the later stages act on any document that carries a layout, so
the HTML path can run the same line rules over an extractor's paragraphs by storing
``layout_from_paragraphs(doc.paragraphs)`` there (see ``attach_paragraphs``).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence

from ingest_core.languages import iso_639_1
from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.language import guess_language
from ingest_worker.pipeline.profiles import (
    MAX_LINE_CHARS,
    ProfileVisit,
    SourceProfiles,
    Thresholds,
    line_hash,
)
from ingest_worker.pipeline.text.classify import classify
from ingest_worker.pipeline.text.cues import CUES
from ingest_worker.pipeline.text.metadata import extract_metadata, site_name_from_copyright
from ingest_worker.pipeline.text.model import LineModel
from ingest_worker.pipeline.text.repeats import mark_repeats
from ingest_worker.pipeline.text.segment import BODY, UNSURE, Layout, Line, layout_from_paragraphs, segment

#: How many of the longest lines the language guess reads.
_LANGUAGE_LINES = 8
#: ... and at most this many characters of them: enough for a confident guess, cheap to classify.
_LANGUAGE_CHARS = 400
#: Lines at each end of a page that make up its header/footer fingerprint.
_EDGE_LINES = 25
_COPYRIGHT = dict(CUES)["copyright_footer"]
_SOURCE_CHARS = re.compile(r"[^\w.-]+")
THRESHOLDS = Thresholds()


def layout_of(doc: Article) -> Layout | None:
    return doc.layout


def attach_paragraphs(doc: Article, paragraphs: list[str]) -> Layout:
    """Lets a non-plain-text path (an HTML extractor's output) go through the line stages."""
    layout = layout_from_paragraphs(paragraphs)
    layout.language = _language_of(layout, doc)
    doc.layout = layout
    return layout


class SegmentText:
    """Plain text → lines and blocks, with a first language guess for the cue lists."""

    name = "segment"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.content_type != "text/plain" or doc.text is None:
            return doc
        doc.extractor = doc.extractor or "plaintext"
        layout = segment(doc.text)
        if not layout.lines:
            raise Reject("no text lines in the document")
        layout.language = _language_of(layout, doc)
        doc.layout = layout
        return doc


class RemoveRepeats:
    """Later copies of a line (the headline again, a repeated block or menu) are dropped."""

    name = "repeats"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        layout = layout_of(doc)
        if layout is not None:
            layout.repeated = mark_repeats(layout)
        return doc


class LookUpSourceHistory:
    """Which of a page's short lines its source repeats on many pages (CCNet's idea): counts the
    page into its source's profile after reading what the profile knew before it.

    A batch stage: the profiles live in Redis, and a batch of documents takes two round trips
    in all instead of two or three per document. Each document's answer is what it would have
    been one at a time (``SourceProfiles.visit_many``), so batches change no decision.
    """

    name = "source_history"

    def __init__(self, thresholds: Thresholds = THRESHOLDS) -> None:
        self.thresholds = thresholds

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        return self.run_batch([doc], ctx)[0]

    def run_batch(self, docs: Sequence[Article], ctx: StageContext) -> list[Article]:
        profiles: SourceProfiles | None = ctx.source_profiles
        if profiles is None:
            return list(docs)
        asked: list[tuple[Layout, dict[int, str]]] = []
        visits: list[ProfileVisit] = []
        for doc in docs:
            layout = layout_of(doc)
            if layout is None or (visit := profile_visit(doc, layout)) is None:
                continue
            visits.append(visit[0])
            asked.append((layout, visit[1]))
        for (layout, hashes), answer in zip(asked, profiles.visit_many(visits), strict=True):
            layout.common = self.thresholds.repeated(hashes, answer)
        return list(docs)


def profile_visit(doc: Article, layout: Layout) -> tuple[ProfileVisit, dict[int, str]] | None:
    """The page's visit to its source's profile and its short lines' hashes by line index;
    None when the page names no source and its edges give no fingerprint. Sets ``layout.source``."""
    source = layout.source = source_key(doc, layout)
    if source is None:
        return None
    keys = {line.index: line.key for line in layout.lines if len(line.text) <= MAX_LINE_CHARS}
    return ProfileVisit.of_page(source, keys, doc.text or "\n".join(line.text for line in layout.lines))


class ClassifyLines:
    """The learned line model decides body or furniture; the source's history is one of its features."""

    name = "boilerplate"

    def __init__(self, model: LineModel | None = None) -> None:
        self.model = model  # None: the shipped model.json

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        layout = layout_of(doc)
        if layout is None:
            return doc
        classify(layout, is_common=source_repeats(layout), model=self.model)
        return doc


def source_repeats(layout: Layout) -> Callable[[Line], bool] | None:
    """Whether a line is one its source repeats (``LookUpSourceHistory``); None: no trusted history."""
    common = layout.common
    if common is None:
        return None
    return lambda line: line.index in common


class ExtractTextMetadata:
    """Title, standfirst, byline, date, dateline, captions and site name out of the lines."""

    name = "metadata"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        layout = layout_of(doc)
        if layout is None:
            return doc
        meta = extract_metadata(layout, repeated=layout.repeated)
        doc.title = doc.title or meta.title
        doc.description = doc.description or meta.description
        doc.authors = doc.authors or meta.authors
        doc.published_at = doc.published_at or meta.published_at
        doc.dateline_place = doc.dateline_place or meta.dateline_place
        doc.dateline_agency = doc.dateline_agency or meta.dateline_agency
        doc.captions = [*doc.captions, *meta.captions]
        doc.site_name = doc.site_name or meta.site_name
        doc.dateline_lines = [text for text, reason in meta.removed if reason == "dateline"]
        return doc


class AssembleParagraphs:
    """Body lines → paragraphs (hard-wrapped lines re-joined); every removed line into the audit trail."""

    name = "paragraphs"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        layout = layout_of(doc)
        if layout is None:
            return doc
        for text in doc.dateline_lines:
            doc.remove(text, "dateline")
        doc.dateline_lines = []
        for line in layout.lines:
            if line.kind not in (BODY, UNSURE):
                doc.remove(line.text, line.reason or line.kind)
        doc.paragraphs = assemble(layout)
        if not doc.paragraphs:
            raise Reject("no article text: every line is boilerplate or metadata")
        doc.layout = None  # the layout is large and not part of the record
        return doc


def assemble(layout: Layout) -> list[str]:
    """One paragraph per kept line (hard-wrapped text was re-joined into blocks by ``segment``)."""
    return [line.text for line in layout.lines if line.kind in (BODY, UNSURE) and line.text]


def source_key(doc: Article, layout: Layout) -> str | None:
    """Whose furniture this page shares: declared source, site name, or a header/footer fingerprint."""
    name = doc.source_name or doc.site_name
    if not name:
        for line in layout.lines[-_EDGE_LINES:]:
            if len(line.text) <= MAX_LINE_CHARS and _COPYRIGHT.search(line.scan.casefold()):
                name = site_name_from_copyright(line.text) or name
    if name:
        return "name:" + _SOURCE_CHARS.sub("-", name.casefold().strip())[:100]
    edges = layout.lines[:_EDGE_LINES] + layout.lines[-_EDGE_LINES:]
    keys = {line.key for line in edges if line.key and len(line.text) <= 60}
    if len(keys) < 3:
        return None
    # MinHash of one: two pages share a source with probability = overlap of their edge lines
    return "fp:" + min(line_hash(key) for key in keys)


def _language_of(layout: Layout, doc: Article) -> str | None:
    if declared := iso_639_1(doc.declared_language):
        return declared
    longest = heapq.nlargest(_LANGUAGE_LINES, layout.lines, key=lambda line: len(line.text))
    # py3langid's own guess, without the record's priors: the line model was trained on
    # stop-word features computed with it (retrain before changing this)
    language, _ = guess_language(
        " ".join(line.text[:300] for line in longest)[:_LANGUAGE_CHARS], priors=False
    )
    return language
