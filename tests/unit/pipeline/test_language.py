"""Language guesses for the body and for the plain-text cue lists."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.base import Article, Stage, StageContext
from ingest_worker.pipeline.decode import Decode
from ingest_worker.pipeline.detect import DetectFormat
from ingest_worker.pipeline.html import ExtractHtml
from ingest_worker.pipeline.language import DetectLanguage, _identifier, guess_language
from ingest_worker.pipeline.normalise import Normalise


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


def test_a_declared_tag_that_names_no_iso_639_1_code_leaves_the_text_to_tell() -> None:
    body = "The council approved the new budget on Tuesday after a long debate about schools and roads."
    doc = DetectLanguage()(Article(raw=b"", declared_language="é", body=body), StageContext())
    assert doc.language == "en" and doc.language_confidence is not None and doc.language_confidence < 1.0


def test_short_body_gets_a_warning_not_a_guess() -> None:
    doc = DetectLanguage()(Article(raw=b"", body="Hi"), StageContext())
    assert doc.language is None and doc.warnings


# py3langid alone calls each of these a rare neighbour (Aragonese, Nigerian Pidgin, Galician...).
@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("Sales rose 4 percent in Aragon", "en", "en"),
        ("Sales rose 4 percent in Aragon", "en-GB", "en"),
        ("Plan B for Barcelona tonight", "en", "en"),
        ("Inflación anual de 3,2 %", "es", "es"),
        ("Inflación anual de 3,2 %", "es-419", "es"),
        ("Porto vence o Benfica", "pt", "pt"),
        ("Festival de cinema abre", "pt-BR", "pt"),
        ("Festival de cinema abre", "pt_PT", "pt"),
    ],
)
def test_the_pages_declared_language_explains_a_short_text(text: str, declared: str, expected: str) -> None:
    assert _identifier().classify(text)[0] != expected  # the model alone gets these wrong
    assert guess_language(text, declared)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ventas netas suben un 5%", "es"),
        ("Government bond yields", "en"),
        ("Plan B for Barcelona tonight", "en"),
    ],
)
def test_a_common_language_wins_over_a_rare_neighbour(text: str, expected: str) -> None:
    assert _identifier().classify(text)[0] not in ("es", "en", "pt")
    assert guess_language(text)[0] == expected


def test_a_declared_language_does_not_overrule_clear_evidence() -> None:
    text = "Die Bundesregierung hat am Mittwoch neue Regeln für den Wohnungsbau beschlossen."
    assert guess_language(text, "en")[0] == "de"


def test_a_long_text_in_a_rare_language_keeps_it() -> None:
    text = (
        "Ke wau seleka e ka fao eng, lehlabula ke le lelelele. Bana ba ya sekolong hoseng ka nako, "
        "mme batswadi ba sebetsa masimong ho fihlela mantsiboya."
    )
    lang, _ = guess_language(text)
    assert lang == _identifier().classify(text)[0]


@pytest.mark.parametrize(
    "head",
    [
        "",
        '<meta http-equiv="content-language" content="en-US">',
        '<meta property="og:locale" content="en_GB">',
    ],
)
def test_an_html_page_in_english_is_english_not_aragonese(head: str) -> None:
    lang_attr = "" if head else ' lang="en"'
    page = (
        f"<html{lang_attr}><head>{head}<title>Sales</title></head><body><article>"
        "<p>Sales rose 4 percent in Aragon.</p></article></body></html>"
    )
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=page.encode(), declared_content_type="text/html")
    stages: list[Stage] = [DetectFormat(), Decode(), ExtractHtml(), Normalise(), DetectLanguage()]
    for stage in stages:
        doc = stage(doc, ctx)
    assert doc.body == "Sales rose 4 percent in Aragon."
    assert doc.language == "en"


def test_the_widened_model_scores_exactly_as_py3langid() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from ingest_worker.pipeline.language import _identifier

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts = [
        "Die Bundesregierung hat am Mittwoch neue Regeln für den Wohnungsbau beschlossen.",
        "The council approved the budget after a long debate on Tuesday night.",
        "Le gouvernement a présenté son projet de loi sur les retraites.",
        "Ventas netas suben un 5%",
        "Президент заявил о новых мерах поддержки экономики.",
        "12 34 56",
    ]
    for text in texts:
        assert _identifier().rank(text) == stock.rank(text), text
