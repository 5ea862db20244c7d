"""The plain-text fast paths give exactly what the straightforward per-line code gives.

Each shortcut in ``features``, ``segment`` and ``metadata`` (a regex run once over the page
instead of per line, a cheap gate before an expensive test) is checked against the plain
per-line form it replaced, on lines built to hit its edge cases.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_worker.pipeline.text import features, shortdoc
from ingest_worker.pipeline.text.dates import looks_like_date
from ingest_worker.pipeline.text.features import base_features, cue_of
from ingest_worker.pipeline.text.leads import Gated, fold_like_ignorecase
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


def test_every_alternative_of_the_led_patterns_starts_with_a_letter_its_lookahead_allows() -> None:
    from re import _parser

    for pattern, plain in ((features._BIO, features.BIO_PHRASES),):
        allowed = set(re.search(r"\(\?=\[([^]]+)\]\)", pattern.pattern).group(1))  # type: ignore[union-attr]
        starts = _starts(list(_parser.parse(plain)))
        assert starts is not None and starts <= allowed, sorted((starts or set()) - allowed)


def test_led_patterns_find_what_the_plain_patterns_find() -> None:
    text = "\x00".join(line.lower() for line in PAGE) + (
        "\x00she is a senior reporter who writes about courts\x00er ist redakteur und schreibt für uns"
        "\x00subscribe to our newsletter\x00unsubscribe\x00e-mail us\x00free\x00freedom\x00è giornalista"
    )
    for pattern, plain in ((features._PROMO, features.PROMO_WORDS), (features._BIO, features.BIO_PHRASES)):
        expected = [m.span() for m in re.finditer(plain, text)]
        assert expected and [m.span() for m in pattern.finditer(text)] == expected
    german = "Bitte klicken Sie hier, Ihre Daten und Ihnen. Sie kommen. Die Ihrer"
    plain_you = r"(?<=[a-zäöüß,] )(?:Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b"
    assert (
        [m.span() for m in features._FORMAL_YOU.finditer(german)]
        == [m.span() for m in re.finditer(plain_you, german)]
        != []
    )


def _starts(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters a match of parsed pattern ``items`` can start with (None: any character),
    through repeats of at least one and classes of literals and categories (a category as its
    name, "CATEGORY_DIGIT"): what a lookahead class must allow."""
    from re import _constants as sre

    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        if op is sre.LITERAL:
            return {chr(av)}
        if op is sre.IN:
            if not all(kind in (sre.LITERAL, sre.CATEGORY) for kind, _ in av):
                return None
            return {chr(code) if kind is sre.LITERAL else str(code) for kind, code in av}
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            return _starts(list(av[2]))
        if op is sre.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                chars = _starts(list(branch))
                if chars is None:
                    return None
                found |= chars
            return found
        if op is sre.SUBPATTERN:
            return _starts(list(av[-1]))
        return None
    return None


def _led_patterns() -> list[re.Pattern[str]]:
    from ingest_worker.pipeline.text import classify, cues, dates

    return [
        dates._HINT,
        cues.PHOTO_CREDIT,
        features._PHOTO_CREDIT_LOWER,
        classify._COMMENT_HEAD.pattern,
        classify._NEWSLETTER,
        classify._POST_META.pattern,
        classify._DISCLOSURE.pattern,
        classify._CONSENT.pattern,
    ]


def _lead_and_plain(pattern: re.Pattern[str]) -> tuple[str, re.Pattern[str]]:
    """A ``leads.led`` pattern's class body, and the pattern it leads compiled without it."""
    found = re.fullmatch(r"\(\?=\[([^]]+)\]\)\(\?:(.*)\)", pattern.pattern, re.DOTALL)
    assert found is not None, pattern.pattern
    return found.group(1), re.compile(found.group(2), pattern.flags)


def test_every_alternative_of_each_led_pattern_starts_with_a_character_its_lookahead_allows() -> None:
    from re import _parser

    for pattern in _led_patterns():
        body, plain = _lead_and_plain(pattern)
        allowed = _starts(list(_parser.parse(f"[{body}]")))
        starts = _starts(list(_parser.parse(plain.pattern)))
        assert allowed is not None and starts is not None, plain.pattern
        assert starts <= allowed, (plain.pattern[:60], sorted(starts - allowed))


LED_TEXTS = [
    *PAGE,
    "Anne 21. Juni 2018 um 7:32 Uhr - Antworten",
    "kritik-1013 schreibt:",
    "Marie a écrit :",
    "TOM SAYS:",
    "Posted by Ned at 5:11 AM",
    "Pingback: a post elsewhere",
    "This entry was posted in News and tagged budget.",
    "We may receive compensation when you click on links to products from our partners.",
    "Für Links auf dieser Seite erhält CHIP ggf. eine Provision",
    "Ich bin damit einverstanden, dass meine Daten gespeichert werden.",
    "Diese Website verwendet Akismet, um Spam zu reduzieren.",
    "Sign up for our NEWSLETTER today",
    "Photo: AP / Getty Images",
    "(via Reuters) Foto: dpa",
    "PICTURE ALLIANCE / Shutterstock",
    "Image credit: NASA",
    "Published on 12 März 2024 and updated 2024-03-13 at 10:30",
    "Am 3.4.2021 und am 5/6/22",
    "ſeptember 3 ſep kelvin 1 \u212a",
    "The ﬁrst photograph; no credit here",
]


def test_led_patterns_find_what_the_plain_patterns_find_at_every_position() -> None:
    cased = [*LED_TEXTS, *(line.lower() for line in LED_TEXTS), *(line.upper() for line in LED_TEXTS)]
    text = "\x00".join(cased)
    for pattern in _led_patterns():
        _, plain = _lead_and_plain(pattern)
        for line in text.split("\x00"):
            assert [m.span() for m in pattern.finditer(line)] == [m.span() for m in plain.finditer(line)]
        assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_lines_matching_resumes_at_the_next_line_after_a_hit() -> None:
    texts = ["ap ap ap", "paper happens", "", "no", "epa", "x ap"]
    pattern = re.compile(r"ap|epa")
    assert _lines_matching(pattern, texts) == {0, 1, 4, 5}
    assert _lines_matching(pattern, ["ap"]) == {0}
    assert _lines_matching(re.compile(r"^ap"), texts) == {0}  # "^": the joined text's start only, as before


def test_formal_you_is_counted_as_the_regex_counts_it_with_or_without_the_shortcut() -> None:
    pages = [
        ["Bitte klicken Sie hier, Ihre Daten und Ihnen.", "Sie kommen.", "die Ihrer"],
        ["No German here", "nothing to see"],
        ["Siegfried and Ihm", "plain"],
    ]
    for scans in pages:
        expected = features._match_counts(features._FORMAL_YOU, scans, np.arange(len(scans)))
        assert features._formal_you_counts(scans).tolist() == expected.tolist()
    assert features._formal_you_counts(pages[0]).tolist() == [3.0, 0.0, 1.0]


def test_captions_are_the_lines_both_credit_patterns_find_line_by_line() -> None:
    from ingest_worker.pipeline.text import metadata
    from ingest_worker.pipeline.text.cues import PHOTO_CREDIT
    from ingest_worker.pipeline.text.segment import BODY, BOILERPLATE, CAPTION

    texts = [
        "Photo: Reuters/John Smith",  # both patterns
        "A happy paper map of the capital",  # credit words ("ap") but no credit
        "Image credit: NASA",
        "The company said profits rose (via AFP)",
        "Nothing to see here",
        "picture alliance / dpa",
    ]
    layout = layout_from_paragraphs(texts)
    for i, line in enumerate(layout.lines):
        line.mark(BODY if i % 2 else BOILERPLATE, "" if i % 2 else "short_fragment")
    meta = metadata.TextMetadata()
    metadata._captions(layout.lines, meta)
    expected = [
        text for text in texts if metadata._CREDIT_WORD.search(text.lower()) and PHOTO_CREDIT.search(text)
    ]
    assert meta.captions == expected
    assert [line.text for line in layout.lines if line.kind == CAPTION] == expected
    assert len(expected) == 4


def test_grouping_alternatives_by_first_letter_keeps_every_match() -> None:
    from ingest_worker.pipeline.text.leads import by_first_letter

    alternatives = ["ab", "c", "abc", "a", "cd\\b", "b-?x", "ba"]
    grouped = by_first_letter(alternatives)
    assert grouped == "a(?:b|bc|)|c(?:|d\\b)|b(?:-?x|a)"
    text = "abc ab a cd c cdx bx b-x ba bab abcd " * 3
    assert [m.span() for m in re.finditer(grouped, text)] == [
        m.span() for m in re.finditer("|".join(alternatives), text)
    ]
    for bad in (["a?b"], ["(ab)"], ["\\bab"], ["a*"]):
        with pytest.raises(ValueError):
            by_first_letter(bad)
    assert features._PROMO.pattern.startswith(r"\b(?:s(?:ubscri|")


def _gated() -> list[Gated]:
    """Every gated pattern of the text stages, found in their modules: a new one is tested too."""
    from ingest_worker.pipeline.text import classify

    found = [
        value
        for module in (shortdoc, classify)
        for value in vars(module).values()
        if isinstance(value, Gated)
    ]
    assert len(found) >= 5
    return found


@pytest.mark.parametrize("gated", _gated(), ids=lambda gated: gated.pattern.pattern[:30])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_match_of_a_gated_pattern_passes_its_gate(gated: Gated, data: st.DataObject) -> None:
    """The pieces are a necessary condition: no line the regex would match may skip it. Matches
    are generated from each alternative (in any case, under IGNORECASE), then searched in context."""
    plain = _lead_and_plain(gated.pattern)[1] if gated.pattern.pattern.startswith("(?=[") else gated.pattern
    match = data.draw(st.from_regex(plain, fullmatch=True))
    for text in (match, f"Before, {match}", match.upper()):
        if gated.pattern.search(text) is not None:
            assert gated.search(text) is not None, text


def test_gated_patterns_find_what_their_regex_alone_finds() -> None:
    lines = [
        *LED_TEXTS,
        *(line.casefold() for line in LED_TEXTS),
        "please enable javascript",
        "Log in to your account",
        "the blog post about technology",  # pieces ("log") but no match
        "page not found",
        "a report on the city budget",  # no piece at all
        "Tom says:\n",  # "$" matches before a final newline: so does the gate
        "Anne 21. Juni 2018 um 7:32 Uhr - ANTWORTEN",
        "Mehr dazu - Antworten sie",  # the reply word, not at the end
        "THİS ENTRY WAS POSTED in News",  # İ: IGNORECASE matches it with i
        "Diese Website verwendet Akiſmet, um Spam zu reduzieren.",  # ſ: IGNORECASE matches it with s
    ]
    found = 0
    for gated in _gated():
        for line in lines:
            expected = gated.pattern.search(line)
            assert (expected and expected.span()) == ((got := gated.search(line)) and got.span()), line
            found += expected is not None
    assert found >= 8
    assert shortdoc._NOT_ARTICLE.search("the blog post about technology") is None


def test_folding_turns_each_character_ignorecase_matches_with_an_ascii_letter_into_that_letter() -> None:
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        matched = set(re.findall(letter, every, re.IGNORECASE))
        assert {fold_like_ignorecase(ch) for ch in matched} == {letter}, letter
    with pytest.raises(ValueError):
        Gated(re.compile("Ü", re.IGNORECASE), ["ü"])  # a cased letter beyond ASCII: not checked here
    with pytest.raises(ValueError):
        Gated(re.compile("ab", re.IGNORECASE), ["AB"])
