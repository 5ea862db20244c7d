"""The mojibake check that decides whether ftfy runs: ftfy's own answer, found faster."""

from __future__ import annotations

import importlib
import random
import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad

from bench.quality.run import CORPUS
from ingest_worker.pipeline.normalise import (
    _MOJIBAKE_ANCHORS,
    MOJIBAKE_REACH,
    looks_like_mojibake,
    normalise_text,
)

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


# --- the same output as before the fast paths (the reference below is the earlier code) ---

_REF_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_REF_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_REF_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_REF_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def reference_normalise_text(text: str) -> str:
    """``normalise_text`` as it was: windows around every non-ASCII run, three substitutions."""
    needs_ftfy = "&" in text or "\x1b" in text or "\r" in text
    if not needs_ftfy and not text.isascii():
        needs_ftfy = any(
            BADNESS_RE.search(text, max(0, run.start() - MOJIBAKE_REACH), run.end() + MOJIBAKE_REACH)
            for run in _REF_NON_ASCII.finditer(text)
        )
    if not needs_ftfy or len(text) >= 200_000:
        text = unicodedata.normalize("NFC", text)
    else:
        text = ftfy.fix_text(
            text,
            normalization="NFC",
            uncurl_quotes=False,
            fix_latin_ligatures=False,
            fix_character_width=False,
        )
    text = _REF_CONTROLS.sub(" ", _REF_INVISIBLE.sub("", text))
    return _REF_SPACES.sub(" ", text).strip()


PIECES = [
    *CLEAN,
    *BROKEN,
    "word",
    "Übersicht",
    "ÄÖÜ äöü ß",
    "“quoted”",
    "„Anführung“",
    "«guillemets»",
    "‚single‘",
    "Ω≈ç√∫",
    "naïve café",
    "e\u0301",  # decomposed é: NFC composes it
    "\u212b",  # Angstrom sign: NFC makes it Å
    "\ufb01",  # fi ligature: kept (NFKC would split it)
    "\uff21\uff22",  # full-width letters: kept
    "\u2460",  # circled one: kept
    "x\u00b2",
    "20\u00a0€",
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\u2002\u2009",
    "\u202f",
    "\u3000",
    "\n",
    "\n\n",
    "\r\n",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\x9d",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "&amp;",
    "&eacute;",
    "&#233;",
    "Ã",
    "Â ",
    "Ã©",
    "â€™",
    "â€œ",
    "Ð¿Ñ€Ð¸",
    "Ã\u00a0",
    "Ø§Ù„",
    "√ü",
    "вЂ",
    "Ð",
    "�",
    "œ",
    "Œ.",
    "É°",
    "Ã ",
    "中文",
    "日本語の文章",
    "한국어",
    "עברית",
    "العربية",
    "हिन्दी",
    "🙂",
]


def _mixtures(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(PIECES) + rng.choice(["", " ", "", "  "]) for _ in range(rng.randint(1, 12)))
        for _ in range(count)
    ]


def _mojibake(seed: int, count: int) -> list[str]:
    """Clean text decoded with the wrong code page, as uploads get it."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        clean = " ".join(rng.choice(CLEAN + PIECES[len(CLEAN) + len(BROKEN) :]) for _ in range(3))
        codec = rng.choice(["cp1252", "latin-1", "cp1251", "mac_roman"])
        texts.append(clean.encode("utf-8").decode(codec, errors="replace"))
    return texts


def test_normalise_text_is_unchanged_on_varied_input() -> None:
    texts = _mixtures(seed=5, count=4000) + _mojibake(seed=6, count=500) + PIECES + [""]
    for text in texts:
        assert normalise_text(text) == reference_normalise_text(text), repr(text)
        assert looks_like_mojibake(text) == is_bad(text), repr(text)


def test_normalise_text_is_unchanged_on_real_text() -> None:
    from tests.unit.pipeline.test_langid_features import SAMPLES, eval_page_texts

    texts = [p.read_text("utf-8", errors="replace") for p in sorted(SAMPLES.glob("*.txt"))]
    texts += list(eval_page_texts(limit=40)) if CORPUS.is_dir() else []
    lines = [line for text in texts for line in text.split("\n")]
    for text in texts + lines:
        assert normalise_text(text) == reference_normalise_text(text), repr(text[:200])
        assert looks_like_mojibake(text) == is_bad(text), repr(text[:200])


def test_the_mojibake_anchors_are_derived_from_ftfy_s_pattern() -> None:
    """Not the all-non-ASCII fallback, and none of the characters clean text is full of (β ties
    with €: the branch "β€" needs one of them)."""
    anchors = set(_MOJIBAKE_ANCHORS.pattern[1:-2])
    assert 100 < len(anchors) < 1000
    common = set("\u00a0’–—éèàäöüßçñ") | set(map(chr, range(0x430, 0x450))) | set("αγδε")
    assert not anchors & common and not any(c.isascii() for c in anchors)
