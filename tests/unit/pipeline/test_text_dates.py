"""dateparser as the last resort for date lines: only languages the line can be in, no invented years."""

from __future__ import annotations

import pytest
from dateparser.languages.loader import LocaleDataLoader

from ingest_worker.pipeline.text.dates import _dateparser, candidate_languages, parse_date


@pytest.mark.parametrize(
    ("line", "languages"),
    [
        ("15 августа 2016, 13:43", ["en", "ru"]),
        ("01.21.2020 07:00 AM", ["en"]),
        ("Ausgabe 12 / Heft 3 2014", ["en"]),
    ],
)
def test_a_line_of_unknown_language_is_tried_in_english_and_the_languages_of_its_month_names(
    line: str, languages: list[str]
) -> None:
    assert candidate_languages(line)[: len(languages)] == languages
    assert "es" in candidate_languages("15 de mayo de 2014")


def test_a_line_no_language_reads_loads_no_more_than_its_candidates() -> None:
    before = set(LocaleDataLoader._loaded_locales)
    assert _dateparser("Ausgabe 12 / Heft 7 2013", None) is None
    loaded = set(LocaleDataLoader._loaded_locales) - before
    assert {code.split("-")[0] for code in loaded} <= set(candidate_languages("Ausgabe 12 / Heft 7 2013"))


def test_dates_in_words_of_unknown_language_are_still_read() -> None:
    assert parse_date("15 августа 2016, 13:43") == "2016-08-15T13:43:00"
    assert parse_date("18. 05. 2014") == "2014-05-18"


@pytest.mark.parametrize(
    ("line", "language"),
    [("(2007) H.6. S.406-41", "en"), ("2017, 5 W 221/17", "de"), ("1994;272:1661-5. [P", None)],
)
def test_a_year_the_line_does_not_print_is_never_taken(line: str, language: str | None) -> None:
    # dateparser reads the first two as dates of this year (a citation, a court file number)
    assert parse_date(line, language) is None
