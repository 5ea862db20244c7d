"""The plain-text fast paths give exactly what the straightforward per-line code gives.

Each shortcut in ``features``, ``segment`` and ``metadata`` (a regex run once over the page
instead of per line, a cheap gate before an expensive test) is checked against the plain
per-line form it replaced, on lines built to hit its edge cases.
"""

from __future__ import annotations

import re

import numpy as np

from ingest_worker.pipeline.text import features
from ingest_worker.pipeline.text.dates import looks_like_date
from ingest_worker.pipeline.text.features import base_features, cue_of
from ingest_worker.pipeline.text.metadata import _lines_matching
from ingest_worker.pipeline.text.segment import Line, fold, layout_from_paragraphs, segment
from ingest_worker.pipeline.text.stopwords import stoplist

PAGE = [
    "Home",
    "News | Sport | Business | Culture",
    "Share on Facebook",
    "Follow us on Twitter",
    "12 comments",
    "Photo: Reuters/John Smith",
    "© 2024 Example Media. All rights reserved.",
    "(c) Example",
    "Published 12 March 2024, 10:30",
    "Published 𝟏𝟐 March 𝟐𝟎𝟐𝟒",  # digits beyond the BMP: the character table cannot see them
    "Visit WWW.EXAMPLE.COM or write to desk@example.org",
    "HTTPS://İSTANBUL.EXAMPLE.COM",  # İ lowers to two characters: the IGNORECASE path runs
    "Read more at httpſ://example.net",
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day, "
    "with members from all parties speaking about schools, roads and the cost of housing in the city.",
    "Tags: budget, council",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 share this",
]


def _lines(texts: list[str]) -> list[Line]:
    return layout_from_paragraphs(texts).lines


def test_cues_and_per_line_features_match_the_per_line_forms() -> None:
    lines = _lines(PAGE)
    rows, cues = base_features(lines, stoplist("en") or frozenset())
    assert cues == [cue_of(line, features._TOKEN.findall(line.text[:3000].casefold())) for line in lines]
    assert "navigation" in cues and "copyright_footer" in cues and "share_prompt" in cues
    date_col = features.BASE_NAMES.index("date_like")
    assert rows[:, date_col].tolist() == [float(looks_like_date(line.text)) for line in lines]
    assert rows[PAGE.index("Published 𝟏𝟐 March 𝟐𝟎𝟐𝟒"), date_col] == 1.0
    link_col = features.BASE_NAMES.index("linkish")
    slow = features._match_counts(features._LINKISH, [line.scan for line in lines], np.arange(len(lines))) > 0
    assert rows[:, link_col].tolist() == slow.astype(float).tolist()
    assert rows[PAGE.index("Read more at httpſ://example.net"), link_col] == 1.0


def test_lower_cased_link_pattern_matches_what_ignorecase_matches() -> None:
    """Every character that IGNORECASE lets stand for a letter of the pattern, lower() maps onto it."""
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    letters = "".join(sorted(set("httpswwwcomorgnetdefruk")))
    changed = [ch for ch in every if ch.lower() != ch and len(ch.lower()) == 1]
    for ch in set(re.findall(f"[{letters}]", every, re.IGNORECASE)) | set(changed):
        if len(ch.lower()) != 1:
            continue  # offsets would move: the page goes through the IGNORECASE pattern instead
        for letter in letters:
            stands_for = ch.lower() == letter or (letter == "s" and ch.lower() == "ſ")
            assert (re.fullmatch(letter, ch, re.IGNORECASE) is not None) == stands_for, (ch, letter)
    word = re.compile(r"\w")
    assert all(bool(word.match(ch)) == bool(word.match(ch.lower())) for ch in changed)


def test_block_sizes_by_runs_and_by_value_agree() -> None:
    lines = _lines(["a", "b", "c", "d"])
    for line, block in zip(lines, [0, 0, 1, 3], strict=True):
        line.block = block
    assert features._block_sizes(lines).tolist() == [2.0, 2.0, 1.0, 1.0]
    lines[3].block = 0  # out of page order: counted by value
    assert features._block_sizes(lines).tolist() == [3.0, 3.0, 1.0, 3.0]


def test_layout_keys_and_blocks_are_as_before() -> None:
    layout = segment("  Title  \n\nFirst line\nsecond line\n\n\n« Quote » \n")
    assert [(line.text, line.block, line.first_in_block, line.last_in_block) for line in layout.lines] == [
        ("Title", 0, True, True),
        ("First line", 1, True, False),
        ("second line", 1, False, True),
        ("« Quote »", 2, True, True),
    ]
    assert [line.key for line in layout.lines] == [fold(line.text) for line in layout.lines]
    assert layout.blocks == 3


def test_lines_matching_finds_the_lines_a_per_line_search_finds() -> None:
    texts = ["photo: ap", "no credit here", "", "getty images", "via afp"]
    pattern = re.compile(r"ap\b|getty|afp")
    assert _lines_matching(pattern, texts) == {i for i, text in enumerate(texts) if pattern.search(text)}
