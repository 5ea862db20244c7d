"""Language of the body, ISO 639-1, with a confidence from py3langid's probabilities."""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from ingest_worker.pipeline.base import Article, StageContext


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class DetectLanguage:
    name = "language"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        sample = doc.body[:20_000]
        if doc.declared_language:
            doc.language, doc.language_confidence = doc.declared_language.lower()[:2], 1.0
            return doc
        if len(sample) < 20:
            doc.warnings.append("text too short to detect its language")
            return doc
        lang, prob = _identifier().classify(sample)
        doc.language, doc.language_confidence = str(lang), round(float(prob), 4)
        return doc
