"""Language-independent line features for the learned body/boilerplate model.

Each line gets a row of cheap, script-agnostic measurements (length, function-word density,
punctuation, letters, digits, case, cue-list hits, repetition, position), and the rows are
then widened with the same measurements averaged over the neighbouring lines, because on a
page dump "is this the article?" is mostly a question about the region a line sits in.
Every per-line measurement is one C-level call (``findall``, ``count``, ``sub``, a set
lookup) on a bounded prefix, so a page costs a few microseconds per line; the context part
is a handful of numpy operations per page, whatever its length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ingest_worker.pipeline.text.cues import CUE_TRIGGERS, CUES, MENU_SEPARATORS, NAV_LINES, PHOTO_CREDIT
from ingest_worker.pipeline.text.dates import looks_like_date
from ingest_worker.pipeline.text.segment import SCAN_CHARS, Line
from ingest_worker.pipeline.text.stopwords import universal_stoplist

FloatArray = npt.NDArray[np.float64]

#: Only this much of a line is tokenised: density over 3000 characters is density enough.
TOKEN_CHARS = 3000
_TOKEN = re.compile(r"\w+")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_DIGITS = re.compile(r"\d")
_UPPER = re.compile(r"[^\W\d_a-zà-ÿ]")  # upper case (and caseless letters, which count as neither)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LINKISH = re.compile(r"https?:|www\.|@|\.(?:com|org|net|de|fr|uk)\b", re.IGNORECASE)
_FULL_STOP = tuple(".!?…。！？")
#: PHOTO_CREDIT without IGNORECASE, for lower-cased text: several times cheaper per line.
_PHOTO_CREDIT_LOWER = re.compile(PHOTO_CREDIT.pattern)
_OTHER_END = tuple(':;"”»)')
_BULLET = tuple("•·*-–—>»|►▶■□●○◦")

#: Cue reasons, in feature order ("navigation" covers whole-line menu words too).
CUE_REASONS: tuple[str, ...] = ("navigation", *dict.fromkeys(reason for reason, _ in CUES))
_CUE_INDEX = {reason: i for i, reason in enumerate(CUE_REASONS)}

BASE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "stop_density",
    "universal_density",
    "ends_full_stop",
    "ends_other",
    "starts_upper",
    "starts_digit_or_bullet",
    "non_letter_share",
    "digit_share",
    "upper_share",
    "capitalised_words",
    "punct_per_word",
    "menu_separators",
    "date_like",
    "linkish",
    "photo_credit",
    "repeated",
    "source_common",
    "first_in_block",
    "last_in_block",
    "position",
    "mean_word_len",
    "long_prose",
    "short",
    "after_headline",
    "since_headline",
    "chars_before",
    "block_lines",
    *(f"cue_{reason}" for reason in CUE_REASONS),
)
_N_BASE = len(BASE_NAMES)
#: Base columns whose neighbourhood averages are context features.
CONTEXT_COLUMNS: tuple[str, ...] = (
    "log_chars",
    "stop_density",
    "universal_density",
    "ends_full_stop",
    "non_letter_share",
    "capitalised_words",
    "long_prose",
    "short",
    "linkish",
    "menu_separators",
)
_CONTEXT_IDX = [BASE_NAMES.index(name) for name in CONTEXT_COLUMNS]
#: (name, lines before, lines after) of each averaging window; the line itself is left out.
WINDOWS: tuple[tuple[str, int, int], ...] = (
    ("prev1", 1, 0),
    ("next1", 0, 1),
    ("prev3", 3, 0),
    ("next3", 0, 3),
    ("around8", 8, 8),
    ("around20", 20, 20),
)
REGION_NAMES: tuple[str, ...] = (
    "region_mass",
    "region_distance",
    "before_region",
    "after_region",
    "page_lines",
    "prose_gap_before",
    "prose_gap_after",
)
FEATURE_NAMES: tuple[str, ...] = (
    *BASE_NAMES,
    *(f"{col}@{win}" for win, _, _ in WINDOWS for col in CONTEXT_COLUMNS),
    *REGION_NAMES,
)


def cue_of(line: Line, tokens: list[str]) -> str | None:
    """The furniture cue a line carries, if it is short enough for cues to be trusted."""
    if line.key in NAV_LINES:
        return "navigation"
    words = len(tokens)
    if words > 25:
        return None
    scan = line.scan
    if not ("©" in scan or "(c)" in scan or any(token[:4] in CUE_TRIGGERS for token in tokens[:40])):
        return None
    lowered = scan.lower()  # the cue patterns are lower case and compiled without IGNORECASE
    for reason, pattern in CUES:
        if pattern.match(lowered) if words > 12 else pattern.search(lowered):
            return reason
    return None


def base_features(
    lines: Sequence[Line],
    stops: frozenset[str],
    *,
    repeated: set[str] | frozenset[str] = frozenset(),
    is_common: Callable[[Line], bool] | None = None,
    headline: int | None = None,
) -> tuple[FloatArray, list[str | None]]:
    """One row of context-free measurements per line, and the cue each line carries.

    ``headline`` is the layout index of the line that repeats the page title (the H1 of a
    saved web page): the article starts right after it on most pages.
    """
    n = len(lines)
    total_chars = sum(len(line.text) for line in lines) or 1
    seen_chars = 0
    block_sizes: dict[int, int] = {}
    for line in lines:
        block_sizes[line.block] = block_sizes.get(line.block, 0) + 1
    universal = universal_stoplist()
    rows = np.zeros((n, _N_BASE))
    cues: list[str | None] = []
    cue_base = BASE_NAMES.index("cue_navigation")
    cjk = _is_cjk(lines)
    for i, line in enumerate(lines):
        text = line.text
        head = text[:TOKEN_CHARS]
        tokens = _TOKEN.findall(head.casefold())
        words = len(tokens)
        chars = len(head)
        effective = chars * 3 if cjk else chars  # no spaces: characters carry what words carry elsewhere
        non_letters = sum(map(len, _NOT_LETTER.findall(head)))
        letters = chars - non_letters
        if cjk:
            prose = text.endswith(_FULL_STOP) or "，" in head or "、" in head
            density = universal_density = 0.32 if prose else 0.0
        elif words:
            density = sum(1 for token in tokens if token in stops) / words
            universal_density = sum(1 for token in tokens if token in universal) / words
        else:
            density = universal_density = 0.0
        scan = text[:SCAN_CHARS]
        first = text[0]
        cue = cue_of(line, tokens)
        cues.append(cue)
        row = rows[i]
        row[0] = math.log1p(effective)
        row[1] = math.log1p(words)
        row[2] = density
        row[3] = universal_density
        row[4] = text.endswith(_FULL_STOP)
        row[5] = text.endswith(_OTHER_END)
        row[6] = first.isupper()
        row[7] = first.isdigit() or first in _BULLET
        row[8] = non_letters / chars
        row[9] = len(_DIGITS.findall(scan)) / len(scan)
        row[10] = len(_UPPER.findall(scan)) / letters if letters else 0.0
        row[11] = sum(1 for word in text[:SCAN_CHARS].split() if word[:1].isupper()) / words if words else 0.0
        row[12] = (head.count(", ") + head.count(". ") + head.count("; ")) / (words + 1)
        row[13] = min(len(MENU_SEPARATORS.findall(scan)), 5) / 5 if words <= 20 else 0.0
        row[14] = chars <= 120 and looks_like_date(text)
        row[15] = _LINKISH.search(scan) is not None
        row[16] = chars <= 300 and _PHOTO_CREDIT_LOWER.search(scan.lower()) is not None
        row[17] = line.key in repeated
        row[18] = is_common is not None and is_common(line)
        row[19] = line.first_in_block
        row[20] = line.last_in_block
        row[21] = i / n
        row[22] = min(letters / words, 20.0) / 10 if words else 0.0
        row[23] = effective >= 200 and density >= 0.25
        row[24] = effective < 40
        if headline is not None and line.index > headline:
            row[25] = 1.0
            row[26] = math.log1p(line.index - headline) / 5
        row[27] = seen_chars / total_chars
        seen_chars += len(text)
        row[28] = math.log1p(block_sizes[line.block]) / 3
        if cue is not None:
            row[cue_base + _CUE_INDEX[cue]] = 1.0
    return rows, cues


def context_features(base: FloatArray) -> FloatArray:
    """Base rows widened by neighbourhood averages and by where the densest prose region lies."""
    n = base.shape[0]
    cols = base[:, _CONTEXT_IDX]
    pad = max(max(before, after) for _, before, after in WINDOWS)
    padded = np.zeros((n + 2 * pad, cols.shape[1]))
    padded[pad : pad + n] = cols
    cumsum = np.vstack([np.zeros((1, cols.shape[1])), np.cumsum(padded, axis=0)])
    ones = np.zeros(n + 2 * pad)
    ones[pad : pad + n] = 1.0
    count_cum = np.concatenate([[0.0], np.cumsum(ones)])
    parts = [base]
    idx = np.arange(n) + pad
    for _, before, after in WINDOWS:
        lo, hi = idx - before, idx + after + 1
        total = cumsum[hi] - cumsum[lo] - cols
        count = count_cum[hi] - count_cum[lo] - 1.0
        parts.append(total / np.maximum(count, 1.0)[:, None])
    # the article is one dense run of prose: mass of long prose lines in a ±5 window
    mass = base[:, BASE_NAMES.index("long_prose")] * base[:, 0]
    mass_cum = np.concatenate([[0.0], np.cumsum(mass)])
    lo, hi = np.clip(np.arange(n) - 5, 0, n), np.clip(np.arange(n) + 6, 0, n)
    window = mass_cum[hi] - mass_cum[lo]
    peak = float(window.max()) if n else 0.0
    region = np.zeros((n, len(REGION_NAMES)))
    if peak > 0:
        centre = int(window.argmax())
        region[:, 0] = window / peak
        region[:, 1] = np.log1p(np.abs(np.arange(n) - centre)) / 5.0
        prose = np.flatnonzero(mass > 0)
        region[:, 2] = np.arange(n) < prose[0]
        region[:, 3] = np.arange(n) > prose[-1]
    region[:, 4] = math.log1p(n) / 5.0
    region[:, 5], region[:, 6] = _gaps(mass > 0)
    parts.append(region)
    return np.hstack(parts)


def line_features(
    lines: Sequence[Line],
    stops: frozenset[str],
    *,
    repeated: set[str] | frozenset[str] = frozenset(),
    is_common: Callable[[Line], bool] | None = None,
    headline: int | None = None,
) -> tuple[FloatArray, list[str | None]]:
    """The model's input: one row of ``FEATURE_NAMES`` per line, plus each line's cue."""
    base, cues = base_features(lines, stops, repeated=repeated, is_common=is_common, headline=headline)
    return context_features(base), cues


def _gaps(flags: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Lines since the last flagged line and until the next one, log-scaled (8 when there is none)."""
    n = flags.shape[0]
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(flags, idx, -1))
    nxt = np.minimum.accumulate(np.where(flags, idx, n + 10**6)[::-1])[::-1]
    before = np.where(last >= 0, np.log1p(idx - last), 8.0)
    after = np.where(nxt < n, np.log1p(nxt - idx), 8.0)
    return before / 5.0, after / 5.0


def headline_index(lines: Sequence[Line]) -> int | None:
    """Where the page title (the first line of a page dump) is said again, as the article's H1."""
    if len(lines) < 3:
        return None
    title = lines[0].key
    if len(title) < 10:
        return None
    for line in lines[1:200]:
        key = line.key
        if len(key) >= 10 and (title.startswith(key) or key.startswith(title)):
            return line.index
    return None


def _is_cjk(lines: Sequence[Line]) -> bool:
    sample = "".join(line.text[:200] for line in lines[:200])
    return len(_CJK.findall(sample)) > len(sample) * 0.3
