"""Language tags as uploaders and pages write them, and the ISO 639-1 codes records carry."""

from __future__ import annotations

import pytest

from ingest_core.languages import iso_639_1, language_code
from ingest_core.tasks import Hints


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en-GB", "en"),
        ("pt_BR", "pt"),
        (" ES ", "es"),
        ("deu", "deu"),
        ("x-default", None),
        ("", None),
        (None, None),
        ("12", None),
        ("é", None),
    ],
)
def test_language_tags_become_codes(value: str | None, code: str | None) -> None:
    assert language_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-GB", "en"), ("FR", "fr"), ("deu", None), ("jpn", None), ("é", None), ("x" * 5000, None)],
)
def test_only_two_letter_codes_are_iso_639_1(value: str, code: str | None) -> None:
    assert iso_639_1(value) == code


def test_an_uploader_s_language_hint_travels_as_its_iso_639_1_code_or_not_at_all() -> None:
    assert Hints(language="pt_BR").language == "pt"
    assert Hints(language="é").language is None
    assert Hints(language="fr").over(Hints(language="de")).language == "fr"
