"""Plain text into lines and blocks: the unit every later plain-text stage classifies.

A *line* is one non-blank line of the input; a *block* is a run of lines between blank lines.
Web-page dumps put one block element per line, wire copy one paragraph per line, and
hard-wrapped text one paragraph per block: the assembler decides which, from the layout.
Everything here is linear in the input, and hostile input (huge lines, huge line counts,
control characters) is bounded or rejected before any regex sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ingest_worker.pipeline.base import Reject
from ingest_worker.pipeline.words import code_points

#: A "line" longer than this is not prose a person wrote: minified data, a binary dump.
MAX_LINE_CHARS = 1_000_000
#: More lines than this is a data file or an attack, not an article.
MAX_LINES = 250_000
#: Regexes look at most this many characters of a line (cues live at the start or are short).
SCAN_CHARS = 400

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = tuple('.!?…:;"”»。！？')
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
#: The runs ``_SPACES`` changes: two or more characters, or one that is not " " (most texts
#: have none, and most of ``_SPACES``' matches are a lone " " replaced by itself).
_SPACE_RUNS = re.compile(
    r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
)
#: Bits of ``_char_classes``: what ``_NEWLINES``, ``_CONTROLS`` and ``_SPACE_RUNS`` would find.
_NEWLINE, _CONTROL, _ODD_SPACE = 1, 2, 4


# Line kinds. BODY and UNSURE lines may become paragraphs; everything else is taken out.
BODY = "body"
UNSURE = "unsure"
BOILERPLATE = "boilerplate"
#: What ends a sentence: Latin and CJK full stops, and the danda of Bengali and Devanagari.
SENTENCE_ENDS = tuple(".!?…。！？।॥")
TITLE = "title"
DESCRIPTION = "description"
BYLINE = "byline"
DATE = "date"
CAPTION = "caption"
REPEAT = "repeat"


@dataclass(slots=True)
class Line:
    """One non-blank input line and what the stages decided about it."""

    text: str
    index: int  # position among non-blank lines
    block: int  # blank-line separated block number
    first_in_block: bool
    last_in_block: bool
    kind: str = UNSURE
    reason: str = ""
    score: float = 0.0  # > 0 reads like body text, < 0 like boilerplate
    key: str = ""  # case- and space-folded text, for repeat detection

    @property
    def scan(self) -> str:
        """The prefix regexes may look at: bounded, so no line can make a regex slow."""
        return self.text[:SCAN_CHARS]

    def mark(self, kind: str, reason: str) -> None:
        self.kind, self.reason = kind, reason


@dataclass
class Layout:
    """The lines of one document plus facts about its shape."""

    lines: list[Line] = field(default_factory=list)
    blocks: int = 0
    language: str | None = None
    source: str | None = None
    repeated: set[str] = field(default_factory=set)
    #: Indices of the lines its source repeats on many pages; None while the source's history is too short.
    common: frozenset[int] | None = None

    @property
    def kept(self) -> list[Line]:
        return [line for line in self.lines if line.kind in (BODY, UNSURE)]


def clean_line(text: str) -> str:
    """Controls and invisible characters out, runs of white space to one space."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


#: What ``fold`` trims from both ends of a key.
_FOLD_STRIP = " .:;,!?|-–—•·*#>\"'“”‘’«»()[]"


def fold(text: str) -> str:
    """The comparison key of a line: case and punctuation at the ends do not matter."""
    return text[:SCAN_CHARS].casefold().strip(_FOLD_STRIP)


@lru_cache(maxsize=1)
def _char_classes() -> npt.NDArray[np.uint8]:
    """Per BMP code point, which of ``_NEWLINES``, ``_CONTROLS`` and the odd white space of
    ``_SPACE_RUNS`` match it, found by running those patterns over every BMP character (each
    is a one-character class, ``\\r\\n`` aside, which starts with one; " " alone is no odd
    space, and its neighbours in code-point order are no white space, so no run marks it). No pattern matches
    a character beyond the BMP, so 0xFFFF (matched by none) stands for all of them."""
    every = "".join(map(chr, range(0x10000)))
    table = np.zeros(0x10000, dtype=np.uint8)
    for pattern, bit in ((_NEWLINES, _NEWLINE), (_CONTROLS, _CONTROL), (_SPACE_RUNS, _ODD_SPACE)):
        for match in pattern.finditer(every):
            table[match.start() : match.end()] |= bit
    table[0xFFFF] = 0
    return table


def _classes_in(text: str) -> int:
    """The ``_char_classes`` bits of any character of ``text``: one table lookup per code point."""
    if not text:
        return 0
    return int(np.bitwise_or.reduce(_char_classes()[np.minimum(code_points(text), 0xFFFF)]))


def segment(text: str) -> Layout:
    """Splits text into lines and blocks; rejects inputs no article can look like.

    Which of the newline, control and white-space repairs a text needs is read off one
    code-point table lookup (``_classes_in``); only those regexes then run.
    """
    found = _classes_in(text)
    if found & _NEWLINE:
        text = _NEWLINES.sub("\n", text)
        found = _classes_in(text)
    raw_lines = text.split("\n")
    if len(raw_lines) > MAX_LINES:
        raise Reject(f"too many lines for an article: {len(raw_lines)} (limit {MAX_LINES})")
    longest = max(map(len, raw_lines))
    if longest > MAX_LINE_CHARS:
        raise Reject(f"a line of {longest} characters is not article text (limit {MAX_LINE_CHARS})")
    # neither pattern touches a newline, so cleaning the whole text at once cleans every line
    if found & _CONTROL:
        text = _CONTROLS.sub(" ", text)  # into " ", never an odd space: ``found`` holds for those
    if found & _ODD_SPACE or "  " in text:
        text = _SPACE_RUNS.sub(" ", text)  # what _SPACES.sub(" ", text) gives
    layout = _layout(text.split("\n"), paragraphs=False, clean=False)
    return _unwrap(layout) if hard_wrapped(layout.lines) else layout


def hard_wrapped(lines: Sequence[Line]) -> bool:
    """Lines cut at a fixed width (≤ 100 columns) inside multi-line blocks, like e-mail or old wire copy."""
    if len(lines) < 4:
        return False
    lengths = sorted(len(line.text) for line in lines)
    if lengths[-1] > 100:
        return False
    inner = [line for line in lines if not line.last_in_block]
    if lengths[len(lengths) // 2] < 40 or len(inner) < len(lines) // 2:
        return False
    # wrapped lines break mid-sentence and fill the width; one-sentence-per-line text does neither
    width = lengths[-1]
    cut = sum(1 for line in inner if not line.text.endswith(_SENTENCE_END) and len(line.text) >= width * 0.6)
    return cut >= len(inner) * 0.6


def _unwrap(layout: Layout) -> Layout:
    """One line per block: the classifier then judges paragraphs, not fragments of them."""
    merged: list[Line] = []
    for line in layout.lines:
        if merged and merged[-1].block == line.block:
            merged[-1].text += " " + line.text
            merged[-1].last_in_block = line.last_in_block
        else:
            line.index = len(merged)
            merged.append(line)
    for line in merged:
        line.key = fold(line.text)
    layout.lines = merged
    return layout


def layout_from_paragraphs(paragraphs: Sequence[str]) -> Layout:
    """A layout over already-split paragraphs (e.g. an HTML extractor's output), one block each."""
    return _layout(paragraphs, paragraphs=True)


def _layout(raw_lines: Iterable[str], *, paragraphs: bool, clean: bool = True) -> Layout:
    """Lines and blocks; ``clean=False`` when the caller already cleaned (and length-checked) the text."""
    layout = Layout()
    lines = layout.lines
    block = 0
    pending_break = False
    for raw in raw_lines:
        if clean:
            if len(raw) > MAX_LINE_CHARS:
                raise Reject(f"a line of {len(raw)} characters is not article text (limit {MAX_LINE_CHARS})")
            cleaned = clean_line(raw)
        else:
            cleaned = raw.strip()
        if not cleaned:
            pending_break = True
            continue
        starts = pending_break or paragraphs or not lines
        if starts and lines:
            lines[-1].last_in_block = True
            block += 1
        lines.append(
            Line(
                text=cleaned,
                index=len(lines),
                block=block,
                first_in_block=starts,
                last_in_block=False,
                key=fold(cleaned),
            )
        )
        pending_break = False
    if lines:
        lines[-1].last_in_block = True
    layout.blocks = block + 1 if lines else 0
    return layout
