"""Publication dates of HTML pages: which evidence wins, and which is never taken."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml.html import HtmlElement, fromstring

from ingest_core.dates import published_at_precision
from ingest_worker.pipeline.html.dates import iso_timestamp, published_at, url_date
from ingest_worker.pipeline.text.dates import parse_date


def page(head: str = "", body: str = "<h1>A headline here</h1><p>Text of the story.</p>") -> HtmlElement:
    tree: HtmlElement = fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    return tree


def date_of(tree: HtmlElement, url: str | None = None, **kwargs: object) -> str | None:
    return published_at(tree, url, fallback=False, **kwargs)  # type: ignore[arg-type]


def test_json_ld_date_published_beats_the_url() -> None:
    tree = page('<script type="application/ld+json">{"datePublished": "2021-03-04T10:00:00+01:00"}</script>')
    assert date_of(tree, "https://example.org/2020/01/02/story") == "2021-03-04T10:00:00+01:00"


def test_meta_published_time_is_taken_with_its_time() -> None:
    tree = page('<meta property="article:published_time" content="2019-10-19T14:14:55Z">')
    assert date_of(tree) == "2019-10-19T14:14:55+00:00"
    assert published_at_precision(date_of(tree)) == "second"


def test_modified_date_is_not_taken_for_publication() -> None:
    tree = page(
        '<meta property="article:modified_time" content="2020-10-23T15:26:57+00:00">'
        '<meta property="og:updated_time" content="2020-10-23T15:26:57+00:00">'
        '<script type="application/ld+json">{"dateModified": "2020-10-23"}</script>',
        '<h1>A headline here</h1><span class="updated">2020-10-23</span><p>Text.</p>',
    )
    assert date_of(tree) is None


def test_update_line_near_the_headline_is_not_a_publication_date() -> None:
    tree = page(body="<h1>A headline here</h1><p>Aktualisiert am 12.03.2021</p><p>Text.</p>")
    assert date_of(tree) is None


def test_future_date_is_refused() -> None:
    tree = page('<meta property="article:published_time" content="2031-01-01T10:00:00Z">')
    assert date_of(tree, not_after=datetime(2030, 6, 1, tzinfo=UTC)) is None


def test_date_after_the_fetch_is_refused_but_the_next_evidence_is_used() -> None:
    tree = page('<meta property="article:published_time" content="2022-05-01T10:00:00Z">')
    fetched = datetime(2021, 1, 10, tzinfo=UTC)
    assert date_of(tree, "https://example.org/2021/01/09/story", not_after=fetched) == "2021-01-09"


def test_placeholder_epoch_date_is_refused() -> None:
    tree = page(
        '<script type="application/ld+json">{"datePublished": "1970-01-01T01:00:00+01:00"}</script>',
        "<h1>A headline here</h1><p>Data: 28-04-2021, 09:29</p><p>Text.</p>",
    )
    assert date_of(tree) == "2021-04-28T09:29:00"


def test_day_and_month_without_a_year_get_no_invented_year() -> None:
    tree = page(body="<h1>A headline here</h1><p>Publicado el 11 de mayo</p><p>Text.</p>")
    assert date_of(tree) is None
    assert parse_date("31. Januar bis zum 05. Februar") is None


def test_month_without_a_day_is_no_day() -> None:
    assert url_date("https://example.org/2021/04/story") is None
    assert date_of(page(body="<h1>A headline here</h1><p>Data 04/2021</p>")) is None


def test_marked_publication_element_beats_the_url() -> None:
    marked = '<time itemprop="datePublished" datetime="2022-01-21">21.01.2022</time>'
    tree = page(body=f"<h1>Headline</h1>{marked}")
    assert date_of(tree, "https://example.org/2022/01/30/x") == "2022-01-21"


def test_url_date_beats_a_date_printed_in_the_text() -> None:
    tree = page(body="<h1>A headline here</h1><p>19. August 2017</p>")
    assert date_of(tree, "https://example.org/2017/08/03/story") == "2017-08-03"


def test_date_printed_under_the_headline_is_found_in_any_language() -> None:
    tree = page(body="<h1>La voix des nuls</h1><p>Mise en ligne 23 mai 2019</p><p>Text.</p>")
    assert date_of(tree) == "2019-05-23"
    assert published_at_precision(date_of(tree)) == "day"


def test_publication_label_finds_a_date_far_from_an_unhelpful_h1() -> None:
    tree = page(body="<h1>Navigation</h1><ul><li>Home</li></ul><p>Story</p><p>Datum 25.01.2022</p>")
    assert date_of(tree) == "2022-01-25"


def test_a_line_that_starts_with_the_word_datum_labels_the_date_after_it() -> None:
    filler = "".join(f"<p>Paragraph {n} of the story.</p>" for n in range(20))
    body = f"<h1>A headline here</h1>{filler}<p>Datum</p><p>25.01.2022</p>"
    assert date_of(page(body=body)) == "2022-01-25"
    # a word that merely starts with it is no label
    assert date_of(page(body=f"<h1>A headline here</h1>{filler}<p>Datumsgrenze</p><p>25.01.2022</p>")) is None


def test_a_regional_language_tag_with_an_underscore_reads_dates_as_its_language_writes_them() -> None:
    body = "<h1>A headline here</h1><p>07/01/2021</p><p>Text of the story.</p>"
    for tag in ("en", "en-US", "en_US"):  # month first in English
        tree = fromstring(f"<html lang='{tag}'><head></head><body>{body}</body></html>")
        assert date_of(tree) == "2021-07-01", tag


def test_first_printed_date_of_a_line_is_the_one_taken() -> None:
    assert parse_date("Bern, 17.08.2007 - Rede beim Städtegipfel, Basel, 18. August 2007") == "2007-08-17"


def test_utc_stamp_gives_way_to_the_same_instant_at_the_page_offset() -> None:
    tree = page(
        '<meta property="article:published_time" content="2022-04-22T04:11:44+00:00">'
        '<meta property="article:published_time" content="2022-04-21T22:11:44-06:00">'
    )
    assert date_of(tree) == "2022-04-21T22:11:44-06:00"


def test_page_without_any_date_gets_none() -> None:
    assert date_of(page()) is None


def test_htmldate_fallback_runs_only_on_pages_that_declare_an_article() -> None:
    body = "<h1>Welcome</h1><p>Our company since 2016.</p><p>© 2016 Example</p>"
    assert published_at(page(body=body), None) is None


def test_iso_timestamp_reads_the_basic_form_and_refuses_junk() -> None:
    assert iso_timestamp("20210504T132005+0200") == "2021-05-04T13:20:05+02:00"
    assert iso_timestamp("2021-07-01T00:00:00") == "2021-07-01"
    assert iso_timestamp("1651626439") is None


def test_htmldate_reads_dates_in_words_through_the_languages_the_string_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import htmldate.extractors

    from ingest_worker.pipeline.html import dates

    tried: list[tuple[str, ...]] = []
    real = dates._date_data_parser

    def spy(languages: tuple[str, ...]) -> object:
        tried.append(languages)
        return real(languages)

    monkeypatch.setattr(dates, "_date_data_parser", spy)
    found = htmldate.extractors._external_date("miércoles, 4 de mayo de 2022")
    assert found is not None and found.date().isoformat() == "2022-05-04"
    assert tried and "es" in tried[0] and "en" in tried[0]
    assert "ru" not in tried[0] and len(tried[0]) < 20  # not every locale dateparser has


def test_htmldate_dates_are_those_its_own_all_locale_parser_gives() -> None:
    import htmldate.extractors

    from ingest_worker.pipeline.html.dates import (
        _date_data_parser,
        calendar_language_parser,
        htmldate_as_released,
    )

    assert htmldate.extractors.get_external_parser is calendar_language_parser
    with htmldate_as_released():
        own = htmldate.extractors.get_external_parser
        expected = {text: own().get_date_data(text)["date_obj"] for text in _DATES_IN_WORDS}
    assert own is not calendar_language_parser
    assert htmldate.extractors.get_external_parser is calendar_language_parser  # back in place
    ours = _date_data_parser(("en",))
    for name in vars(own()._settings):  # htmldate's settings, all of them
        assert getattr(ours._settings, name) == getattr(own()._settings, name), name
    for text, date_obj in expected.items():
        assert calendar_language_parser().get_date_data(text)["date_obj"] == date_obj, text


_DATES_IN_WORDS = (
    "Feb. 19 2020",
    "Viernes, 22 de Abril de 2022",
    "4. 2. 2022.",
    "12 mars 2021",
    "no date here",
)
