"""The numpy word and white-space paths give exactly what the regexes they replaced give.

``words`` counts and joins ``\\w+`` words through a code-point table instead of the regex
engine (the record's word count and content hash); ``segment`` reads which repairs a text
needs (newlines, controls, odd white space) off a table instead of scanning with each regex.
Each is compared with the plain regex form on texts built to hit the edges: empty text,
CJK, right-to-left scripts with combining marks, characters beyond the BMP, lone
surrogates, very long lines, lines of only digits or punctuation, and seeded random mixes.
"""

from __future__ import annotations

import hashlib
import random
import re

import numpy as np
import pytest

from ingest_worker.pipeline.normalise import content_hash
from ingest_worker.pipeline.text import segment as seg
from ingest_worker.pipeline.words import joined_words, word_count, word_table, words_by_line

_WORD = re.compile(r"\w+")

TRICKY = [
    "",
    " ",
    "\x00",
    "_",
    "abc",
    "  leading and trailing  ",
    "İstanbul".casefold(),  # "i" + combining dot: the mark is no word character
    "东京都今天晴，气温二十度。",
    "مرحبا بالعالم، هذا نص عربي.",
    "שָׁלוֹם עוֹלָם",  # Hebrew with points (combining marks split words)
    "１２３ ½ ² ³ ⅷ",  # full-width digits, vulgar fractions, superscripts, Roman numerals
    "__init__ snake_case",
    "👍🏽 ok 🇩🇪",
    "𝐀𝐁𝐂 𝟏𝟐 𠀀𠀁",  # letters and digits beyond the BMP
    "\ud800abc\udfff def",  # lone surrogates
    "1234567890",
    "...,;!?—–-•",
    "e-mail, o'clock — 3.14 % 50/50",
    "word " * 20000,
    "x" * 100_000,
]


def _random_texts(count: int, seed: int) -> list[str]:
    alphabet = [*"aZ_ 9\t\n.,-'’", "\u00a0", "\u2009", "\u3000", "é", "ß", "İ", "ﬁ", "東", "ا", "\u05b0"]
    alphabet += ["\u0301", "²", "½", "𝟏", "😀", "\x00", "\x0b", "\r", "\u2028", "\u200b", "\u00ad", "\x85"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80))) for _ in range(count)]


def test_word_table_is_the_regex_word_class_for_every_code_point() -> None:
    every = "".join(map(chr, range(0x110000)))
    expected = np.zeros(0x110000, dtype=bool)
    for match in _WORD.finditer(every):
        expected[match.start() : match.end()] = True
    assert np.array_equal(word_table(), expected)


@pytest.mark.parametrize("text", [*TRICKY, *_random_texts(400, seed=1)])
def test_word_count_and_joined_words_are_what_findall_gives(text: str) -> None:
    assert word_count(text) == len(_WORD.findall(text))
    assert joined_words(text) == " ".join(_WORD.findall(text))


@pytest.mark.parametrize("seed", range(6))
def test_words_by_line_are_what_findall_gives_each_line(seed: int) -> None:
    """Mixed pages of tricky and random lines, NULs among them in some (the per-line fallback)."""
    rng = random.Random(seed)
    lines = [text[:300] for text in TRICKY] + _random_texts(60, seed=seed)
    rng.shuffle(lines)
    if seed % 2:
        lines = [line.replace("\x00", " ") for line in lines]  # the line stages' own input: no NUL
    assert words_by_line(lines) == [_WORD.findall(line) for line in lines]
    assert words_by_line(lines[:1]) == [_WORD.findall(lines[0])]
    assert words_by_line([]) == []
    assert words_by_line(["", "", "a b"]) == [[], [], ["a", "b"]]


@pytest.mark.parametrize("text", [*TRICKY, "Straße STRASSE strasse", "ΣΊΣΥΦΟΣ σίσυφος"])
def test_content_hash_is_the_hash_of_the_case_folded_words(text: str) -> None:
    folded = " ".join(_WORD.findall(text.casefold()))
    assert content_hash(text) == hashlib.sha256(folded.encode("utf-8")).hexdigest()


def test_case_and_spacing_do_not_change_the_content_hash() -> None:
    assert content_hash("Hello,  World!\n\nSecond\tline") == content_hash("hello world second line")
    assert content_hash("hello world") != content_hash("hello worlds")


def test_character_classes_are_what_each_pattern_matches_on_every_bmp_character() -> None:
    table = seg._char_classes()
    for code in range(0x10000):
        char = chr(code)
        assert bool(table[code] & seg._NEWLINE) == bool(seg._NEWLINES.fullmatch(char)), hex(code)
        assert bool(table[code] & seg._CONTROL) == bool(seg._CONTROLS.fullmatch(char)), hex(code)
        odd = char != " " and bool(seg._SPACES.fullmatch(char))
        assert bool(table[code] & seg._ODD_SPACE) == odd, hex(code)


def test_no_pattern_matches_beyond_the_bmp() -> None:
    astral = "".join(map(chr, range(0x10000, 0x110000)))
    for pattern in (seg._NEWLINES, seg._CONTROLS, seg._SPACES):
        assert pattern.search(astral) is None


def _reference_segment(text: str) -> list[tuple[str, int, int, bool, bool, str]]:
    """``segment`` as it was: every regex over the whole text, unconditionally."""
    text = seg._NEWLINES.sub("\n", text)
    text = seg._CONTROLS.sub(" ", text)
    layout = seg._layout(seg._SPACES.sub(" ", text).split("\n"), paragraphs=False, clean=False)
    layout = seg._unwrap(layout) if seg.hard_wrapped(layout.lines) else layout
    return [(li.text, li.index, li.block, li.first_in_block, li.last_in_block, li.key) for li in layout.lines]


SEGMENT_TEXTS = [
    "Title\r\n\r\nFirst  paragraph.\rSecond\u2028line\u2029third\x85fourth\x0bfifth\x0csixth",
    "tab\tseparated\t\tcells and\u00a0non-breaking\u2009thin\u3000ideographic  double",
    "zero\u200bwidth\u00adsoft\ufeffbom\x00nul\x1bescape\x7fdel\x9fc1",
    "\u2003\u2003indented line\n\n\n   \n\t\nafter blank lines   ",
    "plain single spaces only, nothing to repair.\nSecond line.",
    "东京都今天晴。\u3000气温二十度。\nمرحبا بالعالم\u00a0هذا نص عربي.",
    "😀 emoji 𝐀𝐁𝐂 beyond the BMP\u00a0and 𠀀 rare CJK",
    "1234567890\n\n...,;!?\n\n—– •",
    ("word " * 3000 + "\n") * 3,
    ("A hard wrapped line of text that goes on and on until\n" * 6 + "\n") * 3,
]


@pytest.mark.parametrize("text", [*SEGMENT_TEXTS, *_random_texts(400, seed=2)])
def test_segment_gives_the_lines_every_regex_gives(text: str) -> None:
    lines = seg.segment(text).lines
    assert [(li.text, li.index, li.block, li.first_in_block, li.last_in_block, li.key) for li in lines] == (
        _reference_segment(text)
    )
