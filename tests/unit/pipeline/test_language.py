"""Language guesses for the body and for the plain-text cue lists."""

from __future__ import annotations

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.language import DetectLanguage, guess_language


def test_german_text_is_german_with_high_confidence() -> None:
    lang, prob = guess_language(
        "Die Bundesregierung hat am Mittwoch neue Regeln für den Wohnungsbau beschlossen."
    )
    assert lang == "de" and prob > 0.9


def test_too_short_text_gives_no_guess() -> None:
    assert guess_language("ok") == (None, 0.0)


def test_the_declared_language_wins() -> None:
    doc = Article(raw=b"", declared_language="FR", body="This is clearly English text about the weather.")
    assert DetectLanguage()(doc, StageContext()).language == "fr"


def test_short_body_gets_a_warning_not_a_guess() -> None:
    doc = DetectLanguage()(Article(raw=b"", body="Hi"), StageContext())
    assert doc.language is None and doc.warnings
