"""The mojibake check that decides whether ftfy runs: ftfy's own answer, found faster."""

from __future__ import annotations

import importlib
import random

from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad

from ingest_worker.pipeline.normalise import MOJIBAKE_REACH, looks_like_mojibake, normalise_text

CLEAN = [
    "Die Bundesregierung plant für 2025 höhere Ausgaben – so der Minister.",
    "“It’s over,” she said. The café’s owner agreed: 20 € a plate.",
    "Le président a déclaré « nous verrons » à Paris, 12 °C.",
    "Президент заявил о новых мерах.",
    "Ceny wzrosły o 5%, podał GUS w środę.",
]
BROKEN = [
    "The cafÃ© reopened on Monday.",
    "â€œQuotedâ€\x9d text with Windows-1252 mojibake",
    "Ã  la carte",
    "Die StraÃŸe war gesperrt.",
    "Ã bientôt",  # ^[ÃÂ][ ] at the very start
    "Ð¿Ñ€Ð¸Ð²ÐµÑ‚",
]


def test_the_pattern_is_as_the_window_assumes() -> None:
    parser = importlib.import_module("re._parser")
    assert parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1] == MOJIBAKE_REACH + 1
    for chars in MOJIBAKE_CATEGORIES.values():  # "-" only between two characters: a range
        assert not chars.startswith("-") and not chars.endswith("-")
        assert all(ord(char) > 127 for char in chars.replace("-", ""))


def test_it_answers_as_ftfy_on_clean_and_broken_text() -> None:
    for text in CLEAN + BROKEN:
        assert looks_like_mojibake(text) == is_bad(text), text
    assert all(looks_like_mojibake(text) for text in BROKEN)


def test_it_answers_as_ftfy_on_random_mixtures() -> None:
    rng = random.Random(3)
    alphabet = "aAz .,?!\n-0123456789" + "".join(MOJIBAKE_CATEGORIES.values()) + "ÂÃÎÐØÙ×²àВГРСβΒā€"
    for _ in range(3000):
        text = "".join(
            rng.choice(alphabet) if rng.random() < 0.3 else rng.choice("abcde ") for _ in range(40)
        )
        assert looks_like_mojibake(text) == is_bad(text), repr(text)


def test_mojibake_is_repaired_and_clean_text_kept() -> None:
    assert normalise_text("The cafÃ© reopened.") == "The café reopened."
    assert normalise_text(CLEAN[1]) == CLEAN[1]
