"""Language of the body, ISO 639-1, with a confidence from py3langid's probabilities.

The model loads once per process (about 0.6 s) and classifies a few kilobytes in well under
a millisecond; only a bounded sample of the text is ever classified.

py3langid scores 140-odd languages as if each were equally likely a priori, so a headline or
a table of figures often comes out as a regional neighbour of the language it is written in
("Ventas netas suben un 5%" as Aragonese, "Government bond yields" as Nigerian Pidgin). The
guess is therefore a posterior: the model's probabilities times a prior that makes rare
languages less likely and the page's own declaration (``<html lang>``, a content-language
header) more likely. A long text in a rare language still wins; a short ambiguous one goes
to the common language, or to the declared one.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np
import structlog
from py3langid.langid import MODEL_FILE, RAW_FLOOR, LanguageIdentifier

from ingest_core.languages import iso_639_1, language_code
from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.langid_features import FeatureCounter

log = structlog.get_logger("ingest_worker.pipeline.language")

#: Characters classified: past a paragraph or two more text adds time, not accuracy.
SAMPLE_CHARS = 1500
#: Below this many characters a guess is noise; the stages say so instead of guessing.
MIN_CHARS = 20
#: Prior weight of a rare language against a common one: it must explain the text 5x better.
RARE_WEIGHT = 0.2
#: Prior weight of the language the page declares: a 10x better explanation is needed to overrule it.
DECLARED_WEIGHT = 10.0
#: Languages py3langid knows that news uploads are rarely written in, and that a common
#: neighbour explains almost as well. Every code without an ISO 639-1 form (three letters:
#: "pcm", "ext", "lij", "zxx" ...) is rare too: the record's language is ISO 639-1.
RARE_LANGUAGES = frozenset(["an", "br", "eo", "fo", "gd", "ht", "la", "oc", "qu", "sa", "se", "vo", "wa"])


class _Identifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid has no types
    """py3langid's identifier with its feature table widened to float32 once (+28 MB a process;
    the float16 copy is dropped) and rows gathered with ``take``: scoring a text takes 0.2 ms
    instead of 0.64, and the scores are the same bit for bit (float16 → float32 is exact, and
    the product was float32 anyway).

    The features are counted with numpy (``langid_features``) instead of py3langid's per-byte
    automaton walk in Python (1.2 ms a sample): the same Counter, so the same scores.
    """

    features: FeatureCounter | None = None

    def _sparse_score(self, visits: Counter[int], table: Any) -> Any:
        features = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        return np.log1p(counts) @ table.take(features, axis=0) + self.nb_pc

    def _raw_score(self, text: bytes) -> Any:
        """py3langid's ``_raw_score``, with the counts from ``self.features``."""
        if self.features is None:  # a model the counter cannot index: py3langid's own walk
            return super()._raw_score(text)
        visits = self.features.visits(text)
        if visits:
            return self._sparse_score(visits, self.nb_ptc)
        # no features: 0.0 under norm_probs (uniform → abstain), RAW_FLOOR otherwise
        fill = 0.0 if self._norm_probs else RAW_FLOOR
        return np.full(len(self.nb_classes), fill, dtype=np.float32)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = _Identifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.nb_ptc = np.asarray(identifier.nb_ptc, dtype=np.float32)
    # the float16 original is referenced only here (for set_languages): let it go
    identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
    try:
        identifier.features = FeatureCounter(identifier.tk_nextmove, identifier.tk_row, identifier.tk_output)
    except ValueError:
        log.warning("language.model_not_indexable", fallback="py3langid's own automaton walk")
    return identifier


def guess_language(
    text: str, declared: str | None = None, *, priors: bool = True
) -> tuple[str | None, float]:
    """(ISO 639-1 code, posterior probability), or (None, 0.0) when the text is too short to tell.

    ``declared`` is a hint (the page's ``<html lang>``), not a verdict: it weighs as a prior.
    ``priors=False`` gives py3langid's own answer (what the line model's features were
    trained with: changing it changes their input, see ``text.stages``).
    """
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_CHARS:
        return None, 0.0
    if not priors:
        lang, prob = _identifier().classify(sample)
        return str(lang), round(float(prob), 4)
    hint = language_code(declared)
    posterior = {lang: prob * prior_weight(lang, hint) for lang, prob in _identifier().rank(sample)}
    total = sum(posterior.values())
    lang = max(posterior, key=posterior.__getitem__)
    return str(lang), round(posterior[lang] / total, 4) if total > 0 else 0.0


def prior_weight(lang: str, declared: str | None) -> float:
    """How likely ``lang`` is before reading the text: rare languages less, the declared one more."""
    weight = RARE_WEIGHT if len(lang) != 2 or lang in RARE_LANGUAGES else 1.0
    return weight * DECLARED_WEIGHT if lang == declared else weight


class DetectLanguage:
    """Sets ``language`` from the finished body; an uploader's declared language wins.

    The page's own declaration (``<html lang>``, read by the HTML stage) is only a prior:
    templates often declare one language for pages in several.
    """

    name = "language"

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        if declared := iso_639_1(doc.declared_language):
            doc.language, doc.language_confidence = declared, 1.0
            return doc
        lang, prob = guess_language(doc.body, doc.page_language)
        if lang is None:
            doc.warnings.append("text too short to detect its language")
            return doc
        doc.language, doc.language_confidence = lang, prob
        return doc
