"""Language of the body, ISO 639-1, with a confidence from py3langid's probabilities.

The model loads once per process (about 0.6 s) and classifies a few kilobytes in well under
a millisecond; only a bounded sample of the text is ever classified.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from ingest_worker.pipeline.base import Article, StageContext

#: Characters classified: more adds time, not accuracy.
SAMPLE_CHARS = 4000
#: Below this many characters a guess is noise; the stages say so instead of guessing.
MIN_CHARS = 20


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess_language(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, probability), or (None, 0.0) when the text is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_CHARS:
        return None, 0.0
    lang, prob = _identifier().classify(sample)
    return str(lang), round(float(prob), 4)


class DetectLanguage:
    """Sets ``language`` from the finished body; an uploader's declared language wins."""

    name = "language"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if doc.declared_language:
            doc.language, doc.language_confidence = doc.declared_language.lower()[:2], 1.0
            return doc
        lang, prob = guess_language(doc.body)
        if lang is None:
            doc.warnings.append("text too short to detect its language")
            return doc
        doc.language, doc.language_confidence = lang, prob
        return doc
