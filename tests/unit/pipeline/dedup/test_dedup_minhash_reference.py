"""The array-based fingerprint functions against plain Python references kept here.

``minhash.py`` computes shingles, gram hashes, SimHash and the calendar words with numpy
tricks (code point tables, prefix sums, a name filter) for speed. These references do the
same the slow, obvious way (regexes, loops over Python ints), and every output must be
equal: stored fingerprints and LSH band keys must not change when the code gets faster.
"""

from __future__ import annotations

import random
import re

import numpy as np
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest_worker.pipeline.dedup import minhash
from ingest_worker.pipeline.dedup.minhash import (
    CALENDAR_DAY,
    MAX_DIGITS,
    MAX_NUMBERS,
    NUM_BINS,
    SHINGLE_CHARS,
    calendar_spans,
    fingerprint,
    number_hashes,
    shingle_codes,
    shingle_hashes,
    shingle_text,
    simhash,
)

M64 = (1 << 64) - 1
PRIME = 0x100000001B3

# --- references ---------------------------------------------------------------------------------
# beyond the BMP every code point counts as a word character in the shingles (the table's rule)
_REF_WORD = re.compile(r"[\w\U00010000-\U0010FFFF]+")
_REF_ALPHA_WORD = re.compile(r"[^\W\d_]+(?:-feira)?")
_REF_PUNCTUATION = "\"'()[]{}<>.,;:!?«»“”„‘’‹›–—-/\\|*#&%$€£¥+=~^_`@§°…·•"


def ref_shingle_text(body: str) -> str:
    return re.sub(r"[1-9]", "0", " ".join(_REF_WORD.findall(body.casefold())))


def ref_mix(h: int) -> int:
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & M64
    return h ^ (h >> 31)


def ref_gram_hashes(text: str, k: int = SHINGLE_CHARS) -> list[int]:
    """Horner's rule over each k-gram's code points (the whole text when shorter)."""
    codes = [ord(c) for c in text] or [0]
    k = min(k, len(codes))
    out = []
    for i in range(len(codes) - k + 1):
        h = 0
        for c in codes[i : i + k]:
            h = (h * PRIME + c) & M64
        out.append(ref_mix(h))
    return sorted(out)


def ref_minhash(hashes: list[int]) -> list[int]:
    bins: list[int | None] = [None] * NUM_BINS
    for h in hashes:
        b = h >> 57
        if bins[b] is None or h < (bins[b] or 0):
            bins[b] = h
    filled: list[int] = []
    for index, own in enumerate(bins):
        value, attempt = own, 0
        while value is None:
            value = bins[xxhash.xxh32_intdigest(f"{index}:{attempt}".encode()) % NUM_BINS]
            attempt += 1
        filled.append((value >> 41) & 0xFFFF)
    return filled


def ref_simhash(body: str) -> str:
    votes = [0] * 64
    text = ref_shingle_text(body)
    words = text.split(" ") if text else []
    for word in words:
        h, power = 0, 1
        for c in word:  # sum(code * P**j)
            h = (h + ord(c) * power) & M64
            power = (power * PRIME) & M64
        h = ref_mix((h + len(word)) & M64)
        for bit in range(64):
            votes[bit] += 1 if h >> (63 - bit) & 1 else -1
    if not words:
        return "0" * 16
    return f"{int(''.join('1' if v > 0 else '0' for v in votes), 2):016x}"


def ref_calendar_spans(body: str) -> list[tuple[int, int, str, int]]:
    """The original loop: every ``[^\\W\\d_]+`` word through a set lookup."""
    m = minhash
    spans: list[tuple[int, int, str, int]] = []
    weekdays: list[tuple[int, int, str]] = []
    for match in _REF_ALPHA_WORD.finditer(body):
        word, start, end = match.group(), match.start(), match.end()
        if word in m._WEEKDAYS:
            weekdays.append((start, end, word))
            continue
        if word not in m._MONTHS:
            continue
        value = None
        if word in m._DAY_MONTH_SET:
            if before := m._DAY_BEFORE.search(body, max(0, start - 12), start):
                value, start = f"{int(before.group(1))}.{m._MONTHS[word]}", before.start()
            elif after := m._DAY_AFTER.match(body, end):
                value, end = f"{int(after.group(1))}.{m._MONTHS[word]}", after.end()
        if value is None:
            if word in m._LONE_MONTH_SET:
                spans.append((start, end, f"m{m._MONTHS[word]}", m.CALENDAR_WORD))
            continue
        weekday = m._WEEKDAY_BEFORE.search(body, max(0, start - 24), start)
        if weekday and weekday.group(1) in m._WEEKDAYS:
            start = weekday.start()
        stamp = m._STAMP_AFTER.match(body, end) or m._STAMP_BEFORE.search(body[max(0, start - 30) : start])
        spans.append((start, end, value, 0 if stamp else m.CALENDAR_DAY))
    for start, end, word in weekdays:
        if not any(a <= start < b for a, b, _, _ in spans):
            spans.append((start, end, f"w{m._WEEKDAYS[word]}", m.CALENDAR_WORD))
    spans.sort()
    return spans


def _ref_words(tokens: list[str], n: int) -> str:
    found = []
    for token in tokens:
        word = token.strip(_REF_PUNCTUATION)
        if word:
            found.append(word)
            if len(found) == n:
                break
    return " ".join(found)


def ref_context_hash(body: str, start: int, end: int) -> int:
    before = _ref_words(list(reversed(body[max(0, start - 60) : start].split()[-4:])), 2)
    after = _ref_words(body[end : end + 40].split()[:3], 1)
    context = f"{before}|{after}"
    if re.search(r"\d", context):
        context = re.sub(r"[1-9]", "0", context)
    return xxhash.xxh32_intdigest(context.encode()) >> 16


def ref_number_hashes(body: str) -> tuple[int, ...]:
    body = body.casefold()
    found: set[int] = set()
    dated: list[tuple[int, int]] = []
    for start, end, value, length in ref_calendar_spans(body):
        if length:
            figure = length << 12 | (xxhash.xxh32_intdigest(value.encode()) & 0xFFF)
            found.add(ref_context_hash(body, start, end) << 16 | figure)
            dated.append((start, end))
    for match in re.finditer(r"\d[\doOlIiSsBZz|.,:/]*", body):
        start, end = match.span()
        if any(a <= start < b for a, b in dated):
            continue
        day = re.search(r"(?<![^\W\d_])(?:day|tag|jour|día|dia|giorno|dag|dzień|dzien)\s+$", body[:start])
        if re.fullmatch(r"\d{1,3}[.,:]?", match.group()) and day and start - day.start() <= 10:
            count = match.group().rstrip(".,:")
            figure = CALENDAR_DAY << 12 | (xxhash.xxh32_intdigest(f"d{int(count)}".encode()) & 0xFFF)
            found.add(ref_context_hash(body, day.start(), start + len(count)) << 16 | figure)
            continue
        while start > 0 and body[start - 1] in "oOlIiSsBZz|":
            start -= 1
        token = body[start:end]
        digits = re.sub(r"\D", "", token.translate(str.maketrans("oOlIi|sSBzZ", "00111155822")))
        figure = min(len(digits), MAX_DIGITS) << 12 | (xxhash.xxh32_intdigest(digits.encode()) & 0xFFF)
        found.add(ref_context_hash(body, start, end) << 16 | figure)
    return tuple(sorted(found)[:MAX_NUMBERS])


# --- inputs -------------------------------------------------------------------------------------
_TOKEN_TEXT = (
    "the price rose on monday Monday MONDAY 3 03 31 march March mar may May out of 10 1,850 2ol5 l5 O7 "
    "1.234,56 12:30 10.30 2024 3rd 21st 8. märz März de janvier lundi segunda-feira quinta-feira sábado "
    "środa środę published updated am um à at veröffentlicht publié le — « » ... … ( ) [ ] 1/2 3/4/2025 "
    "2025-03-04 04.03.2025 12. º 1º Straße ÜBER İstanbul ß ﬁ 𝔘𝔫𝔦 😀 中文 ١٢٣ ٣ ০১২ Ⅻ ² ½ _ a_b x1y2 | l|l "
    "I i Is B2 zz9 ﬀ – ' \" sept sept. Sept septembre dec. Dec domingo domenica th 1st gen ene ago set mag "
    "marca maja maart 0 00 000000000000000 9.999.999 3, ,3 .5 5. Oct october Oktober października grudnia "
    "giugno junho mercoledì terça-feira dinsdag sonnabend friday, posted: mis em il op 10h30 ǅ K Å Σ ς ŉ ΐ "
    "ẞ ﬅ Ⅰ 𝟙𝟚 𝟑 3½ 3٣ juni juli june jule feiramarch -feira x-feiramay day Day tag Tag jour día dia "
    "giorno dag dzień today sunday workday"
)
_TOKENS = _TOKEN_TEXT.split(" ")
_SEPARATORS = [" ", " ", " ", ", ", ". ", "\n", "\n\n", "", "  ", ":", "/", "\u00a0", "\t", "-"]


def _texts(n: int, seed: int) -> list[str]:
    """Short texts from tokens that exercise each rule (dates in several languages and forms,
    figures with separators and OCR look-alikes, case folding that changes lengths, code
    points beyond the BMP, "-feira"), glued by varied separators; and the edge cases."""
    rng = random.Random(seed)
    out = ["", " ", "\n", "a", "1", "0123456789", "x" * 9, "x" * 10, "x" * 11, "monday 3 march 2025, 10:30"]
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([1, 2, 5, 12, 40, 100])):
            parts += [rng.choice(_TOKENS), rng.choice(_SEPARATORS)]
        out.append("".join(parts))
    return out


def _check(body: str) -> None:
    text = ref_shingle_text(body)
    assert shingle_text(body) == text
    hashes, distinct = shingle_hashes(shingle_codes(body))
    expected = ref_gram_hashes(text)
    assert hashes.tolist() == expected and distinct == len(set(expected))
    assert minhash.minhash(hashes).tolist() == ref_minhash(expected)
    assert simhash(body) == ref_simhash(body)
    assert calendar_spans(body) == ref_calendar_spans(body)
    assert calendar_spans(body.casefold()) == ref_calendar_spans(body.casefold())
    assert number_hashes(body) == ref_number_hashes(body)
    fp = fingerprint(body)
    assert fp.signature.tolist() == ref_minhash(expected) and fp.size == distinct
    assert fp.numbers == ref_number_hashes(body)


def test_fast_functions_equal_the_references_on_tricky_texts() -> None:
    for body in _texts(150, seed=11):
        _check(body)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS + _SEPARATORS), max_size=60).map("".join))
def test_fast_functions_equal_the_references_on_token_soup(body: str) -> None:
    _check(body)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_fast_functions_equal_the_references_on_any_text(body: str) -> None:
    _check(body)


def test_letter_table_is_the_regex_class() -> None:
    """``_letters`` (the calendar words' runs) is ``[^\\W\\d_]`` on every BMP code point and on
    a sample beyond it."""
    rng = random.Random(5)
    points = list(range(0x10000)) + rng.sample(range(0x10000, 0x110000), 20000)
    points = [p for p in points if not 0xD800 <= p <= 0xDFFF]
    codes = np.array(points, dtype=np.uint32)
    expected = [bool(_REF_ALPHA_WORD.fullmatch(chr(p))) for p in points]
    assert minhash._letters(codes).tolist() == expected


def test_calendar_words_are_the_regex_words_that_are_names() -> None:
    """Including "-feira" (glued to the run before it; the run after it is a new word) and
    names right after it."""
    for text in [*_texts(300, seed=12), "segunda-feiramarch", "x-feiramay", "sexta-feira, 3 de março"]:
        body = text.casefold()
        expected = [
            (m.start(), m.end(), m.group())
            for m in _REF_ALPHA_WORD.finditer(body)
            if m.group() in minhash._MONTHS or m.group() in minhash._WEEKDAYS
        ]
        assert minhash._calendar_words(body, None) == expected
