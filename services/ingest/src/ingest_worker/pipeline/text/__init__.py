"""Plain-text article understanding: which lines are the article, and what the others say.

``TEXT_STAGES`` builds the stages in pipeline order. Each is a small ``Stage`` that is a
no-op unless the document carries a line layout (plain-text uploads get one from
``SegmentText``; other paths can opt in with ``attach_paragraphs``).
"""

from __future__ import annotations

from ingest_worker.pipeline.base import Stage
from ingest_worker.pipeline.text.stages import (
    AssembleParagraphs,
    ClassifyLines,
    ExtractTextMetadata,
    LookUpSourceHistory,
    RemoveRepeats,
    SegmentText,
    attach_paragraphs,
)

__all__ = [
    "AssembleParagraphs",
    "ClassifyLines",
    "ExtractTextMetadata",
    "LookUpSourceHistory",
    "RemoveRepeats",
    "SegmentText",
    "attach_paragraphs",
    "text_stages",
]


def text_stages() -> list[Stage]:
    """The plain-text stages in the order they must run."""
    return [
        SegmentText(),
        RemoveRepeats(),
        LookUpSourceHistory(),
        ClassifyLines(),
        ExtractTextMetadata(),
        AssembleParagraphs(),
    ]
