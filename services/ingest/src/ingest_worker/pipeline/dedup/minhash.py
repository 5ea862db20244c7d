"""Fingerprints of an article body for near-duplicate detection, computed with numpy.

Why these choices (measured in ``bench/dedup``):

- Shingles are character 10-grams of the case-folded words joined by single spaces, digits
  masked to ``0``. Character grams survive OCR noise and re-typing far better than word
  grams (one wrong letter breaks five word 5-grams but only ten 10-char grams out of ~50
  chars), while 10 characters are long enough that unrelated articles in one language share
  few of them (function-word grams like ``" of the "`` are shorter). Figures are masked so
  that text similarity ignores them; a separate numbers fingerprint decides on figures.
- The signature is one-permutation MinHash (one 64-bit hash per shingle, 128 bins by the top
  bits, the minimum of each bin, empty bins filled by deterministic densification) rather than
  128 independent permutations: one sort of ~5,000 hashes instead of 640,000 multiply-adds,
  which is what makes ~0.3 ms per 5 KB article possible in numpy. Each bin keeps the 16 bits
  below its bin number (b-bit MinHash, order-preserving, so the bin-wise minimum of two
  signatures is the signature of the union): a chance match is rare enough not to bias
  Jaccard estimates, and Redis memory halves.
- LSH: 84 bands x 3 rows (bins 0..125 grouped twice, see ``_band_layout``). Copies that are
  truncated or noisy have Jaccard 0.25-0.5 against their original (the overlap *coefficient*
  stays high), so bands must fire at low Jaccard; 3 rows keep chance collisions between
  unrelated articles rare (2 rows made ~70x more on real texts).
- Figures: every token holding a digit, OCR confusables mapped back (``O``->0, ``l``->1 ...),
  separators dropped, hashed together with the words around it (see ``number_hashes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import xxhash

from ingest_worker.pipeline.text.dates import MONTHS
from ingest_worker.pipeline.words import code_points

SHINGLE_CHARS = 10
NUM_BINS = 128
BAND_ROWS = 3


def _band_layout() -> tuple[tuple[int, ...], ...]:
    """Which bins each band reads: bins 0..125 in order, then again in a stride-37 order.

    Two passes over the same 126 bins give 84 bands without storing more signature: each
    band still fires with probability J**3, and a second grouping of the bins roughly halves
    the miss rate for low-Jaccard copies (shortened and noisy), measured in ``bench/dedup``.
    """
    usable = NUM_BINS - NUM_BINS % BAND_ROWS
    first = list(range(usable))
    second = [(i * 37) % usable for i in range(usable)]
    order = first + second
    return tuple(tuple(order[i : i + BAND_ROWS]) for i in range(0, len(order), BAND_ROWS))


BAND_LAYOUT = _band_layout()
NUM_BANDS = len(BAND_LAYOUT)
#: Where each byte of each band key comes from in the signature's bytes followed by the band
#: numbers: the band number, then the band's 16-bit values (LE). One gather builds every key.
_KEY_BYTES = np.array(
    [[2 * NUM_BINS + i] + [2 * b + k for b in band for k in (0, 1)] for i, band in enumerate(BAND_LAYOUT)],
    dtype=np.intp,
)
_BAND_NUMBERS = np.arange(len(BAND_LAYOUT), dtype=np.uint8)
_KEY_WIDTH = 1 + 2 * BAND_ROWS
MAX_NUMBERS = 64

_WORD = re.compile(r"\w+")
# a figure and any OCR look-alikes glued to it ("2ol5"); anchored on a digit, so the scan is fast
_NUMBER_TOKEN = re.compile(r"\d[\doOlIiSsBZz|.,:/]*")
_OCR_LETTERS = frozenset("oOlIiSsBZz|")
_PUNCTUATION = "\"'()[]{}<>.,;:!?«»“”„‘’‹›–—-/\\|*#&%$€£¥+=~^_`@§°…·•"
_OCR_DIGITS = str.maketrans("oOlIi|sSBzZ", "00111155822")
_NON_DIGIT = re.compile(r"\D")
_MASK_DIGITS = str.maketrans("123456789", "000000000")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
#: Length classes of the figures: digit counts up to ``MAX_DIGITS``, then calendar figures.
MAX_DIGITS = 12
CALENDAR_DAY = 13
CALENDAR_WORD = 15


def _calendar_names() -> tuple[dict[str, int], dict[str, int]]:
    """Months and weekdays as news text writes them (en, de, fr, es, it, pt, nl, pl), case-folded.

    Months are the date parser's (``text.dates.MONTHS``). Alone, only full names of five
    letters or more count ("may", "mar" are words); beside a day number, abbreviations count
    too, except those that are words even there ("3 out of 10").
    """
    weekdays = {
        name: number
        for number, names in enumerate(
            [
                "monday montag lundi lunes lunedì segunda-feira maandag poniedziałek",
                "tuesday dienstag mardi martes martedì terça-feira dinsdag wtorek",
                "wednesday mittwoch mercredi miércoles mercoledì quarta-feira woensdag środa środę",
                "thursday donnerstag jeudi jueves giovedì quinta-feira donderdag czwartek",
                "friday freitag vendredi viernes venerdì sexta-feira vrijdag piątek",
                "saturday samstag sonnabend samedi sábado sabato zaterdag sobota sobotę",
                "sunday sonntag dimanche domingo domenica zondag niedziela niedzielę",
            ],
            start=1,
        )
        for name in names.split()
    }
    return dict(MONTHS), weekdays


_MONTHS, _WEEKDAYS = _calendar_names()
#: Month abbreviations that are also common words even beside a number ("3 out of 10").
_WORDS = frozenset({"out", "set", "ago", "gen", "mag", "ene"})
_DAY_MONTH_SET = frozenset(m for m in _MONTHS if len(m) >= 3 and m not in _WORDS)
_LONE_MONTH_SET = frozenset(m for m in _MONTHS if len(m) >= 5 and m not in ("marca", "maja"))
_ALPHA_WORD = re.compile(r"[^\W\d_]+(?:-feira)?")
_DAY_BEFORE = re.compile(r"(?<![\w.,])(\d{1,2})(?:\.|st|nd|rd|th|er|º)?\s+(?:de\s+|of\s+)?$")
_DAY_AFTER = re.compile(r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?![\w.,]?\d)")
_WEEKDAY_BEFORE = re.compile(r"([^\W\d_]+(?:-feira)?),?\s+(?:the\s+)?$")
# A date followed by a year and a clock time, or after "published", dates the page itself.
_STAMP_AFTER = re.compile(r",?\s*(?:\d{4})?,?\s*(?:at\s+|um\s+|à\s+|a las\s+)?\d{1,2}[:.h]\d{2}\b")
_STAMP_BEFORE = re.compile(
    r"(?:published|updated|posted|modified|first published|last updated|veröffentlicht|aktualisiert"
    r"|publié|mis à jour|publicado|actualizado|atualizado|pubblicato|aggiornato|gepubliceerd|bijgewerkt)"
    r"(?:\s+(?:on|am|le|el|em|il|op))?[\s:,|]*(?:\w+,?\s*)?$"
)
_PRIME = np.uint64(0x100000001B3)
_BIN_SHIFT = np.uint64(64 - 7)  # 2**7 == NUM_BINS
_VALUE_SHIFT = np.uint64(64 - 7 - 16)
_BOUNDS = np.arange(NUM_BINS + 1, dtype=np.uint64)[:-1] << _BIN_SHIFT


@dataclass(frozen=True)
class Fingerprint:
    """What the index needs to find and verify near duplicates of one body."""

    signature: npt.NDArray[np.uint16]  # NUM_BINS b-bit MinHash values
    size: int  # distinct shingles: turns Jaccard into containment
    numbers: tuple[int, ...]  # sorted 32-bit hashes of the figures, bottom-k

    def band_keys(self) -> list[bytes]:
        """One bucket key per band: band number, then the band's raw 16-bit values (LE)."""
        return list(self._band_keys)

    @cached_property
    def _band_keys(self) -> tuple[bytes, ...]:
        raw = np.concatenate((self.signature.astype("<u2").view(np.uint8), _BAND_NUMBERS))
        keys = raw[_KEY_BYTES].tobytes()
        return tuple(keys[i : i + _KEY_WIDTH] for i in range(0, len(keys), _KEY_WIDTH))


def _word_table() -> npt.NDArray[np.bool_]:
    """Which BMP code points are word characters (``\\w``): a lookup beats a regex pass."""
    return np.array([chr(i).isalnum() or i == 0x5F for i in range(0x10000)], dtype=np.bool_)


def _letter_table() -> npt.NDArray[np.bool_]:
    """Which BMP code points ``[^\\W\\d_]`` matches (``re``'s ``\\w`` is ``str.isalnum`` or ``_``,
    its ``\\d`` ``str.isdecimal``): finds the words ``calendar_spans`` looks at without a regex."""
    decimal = np.array([chr(i).isdecimal() for i in range(0x10000)], dtype=np.bool_)
    letter = _IS_WORD & ~decimal
    letter[0x5F] = False
    return letter


_IS_WORD = _word_table()
_IS_LETTER = _letter_table()
#: What a BMP code point becomes in the shingled text: a word character itself (digits 1-9
#: masked to 0), anything else a space. One lookup instead of three passes.
_SHINGLE_MAP = np.where(_IS_WORD, np.arange(0x10000, dtype=np.uint32), np.uint32(32)).astype(np.uint32)
_SHINGLE_MAP[0x31:0x3A] = 0x30


def shingle_codes(body: str) -> npt.NDArray[np.uint64]:
    """Code points of the case-folded words joined by single spaces, digits masked to ``0``.

    The same text as ``" ".join(re.findall(r"\\w+", body.casefold()))`` with digits masked,
    computed with array operations because a regex pass alone costs ~0.15 ms per 5 KB.
    """
    return _shingle_array(code_points(body.casefold()))


def _shingle_array(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """``shingle_codes`` from the case-folded body's code points (``fingerprint`` already has them)."""
    mapped: npt.NDArray[np.uint32] = _SHINGLE_MAP[np.minimum(codes, 0xFFFF)]
    if codes.size and int(codes.max()) > 0xFFFF:  # beyond the BMP: word characters, kept
        mapped = np.where(codes > 0xFFFF, codes, mapped)
    word = mapped != 32
    keep = word.copy()
    keep[1:] |= word[:-1]  # a separator run keeps only its first character, as one space
    out: npt.NDArray[np.uint32] = mapped[keep]
    if out.size and out[-1] == 32:
        out = out[:-1]
    return out.astype(np.uint64)


def shingle_text(body: str) -> str:
    """The shingled text as a string (for tests and debugging)."""
    return shingle_codes(body).astype("<u4").tobytes().decode("utf-32-le")


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))  # a new array: the caller's is left alone
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


_INVERSE_PRIME = np.uint64(pow(int(_PRIME), -1, 2**64))
_POWER_CACHE: dict[str, npt.NDArray[np.uint64]] = {}


def _powers(n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """P**i and P**-i modulo 2**64 for i < n (P is odd, so it has an inverse), cached."""
    if _POWER_CACHE.get("up", np.empty(0, dtype=np.uint64)).size < n:
        size = max(n, 8192)
        with np.errstate(over="ignore"):
            up = np.cumprod(np.full(size, _PRIME, dtype=np.uint64), dtype=np.uint64) * _INVERSE_PRIME
            down = np.cumprod(np.full(size, _INVERSE_PRIME, dtype=np.uint64), dtype=np.uint64) * _PRIME
        _POWER_CACHE.update(up=up.astype(np.uint64), down=down.astype(np.uint64))
    return _POWER_CACHE["up"][:n], _POWER_CACHE["down"][:n]


def _span_hashes(
    codes: npt.NDArray[np.uint64], starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint64]:
    """Polynomial hashes (sum of ``codes[i] * P**(i - start)``) of the spans ``starts..ends``
    of ``codes``, all from one prefix sum: no Python call per span."""
    powers, inverse = _powers(int(codes.size))
    with np.errstate(over="ignore"):
        prefix = np.zeros(codes.size + 1, dtype=np.uint64)
        prefix[1:] = np.cumsum(codes * powers, dtype=np.uint64)
        return (prefix[ends] - prefix[starts]) * inverse[starts]


def shingle_hashes(
    codes: npt.NDArray[np.uint64], k: int = SHINGLE_CHARS
) -> tuple[npt.NDArray[np.uint64], int]:
    """Sorted 64-bit hashes of the character k-grams of the code points ``codes``, and how
    many are distinct (``np.unique`` costs 15x a plain sort, so duplicates are only counted)."""
    if codes.size == 0:
        codes = np.zeros(1, dtype=np.uint64)
    if codes.size <= k:
        k = int(codes.size)
    n = codes.size - k + 1
    # The gram at i is sum(codes[i + j] * P**(k - 1 - j)): Horner's rule would take k passes;
    # a prefix sum of codes[m] * P**-m gives every gram in four (P is odd, so invertible).
    up, down = _powers(int(codes.size))
    with np.errstate(over="ignore"):
        prefix = np.zeros(codes.size + 1, dtype=np.uint64)
        np.cumsum(codes * down, dtype=np.uint64, out=prefix[1:])
        h = (prefix[k:] - prefix[:n]) * up[k - 1 :]
        hashes = np.sort(_mix(h))
    return hashes, int(n - np.count_nonzero(hashes[1:] == hashes[:-1]))


def _densify(first: npt.NDArray[np.intp], empty: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Optimal densification: an empty bin borrows from a bin chosen by its own hash chain."""
    source = np.arange(NUM_BINS)
    for index in np.flatnonzero(empty):
        attempt = 0
        while True:
            pick = xxhash.xxh32_intdigest(f"{index}:{attempt}".encode()) % NUM_BINS
            if not empty[pick]:
                source[index] = pick
                break
            attempt += 1
    return first[source]


def minhash(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    """One-permutation MinHash of sorted hashes: the first (smallest) hash of each top-bit bin."""
    first = np.searchsorted(hashes, _BOUNDS)
    ends = np.append(first[1:], hashes.size)
    empty = first >= ends
    if empty.any():
        first = _densify(first, empty)
    values = (hashes[first] >> _VALUE_SHIFT) & np.uint64(0xFFFF)
    return values.astype(np.uint16)


def _context_hash(body: str, start: int, end: int) -> int:
    """16 bits of the two words before ``body[start:end]`` and the one after (digits masked).

    Words are whitespace-split tokens with punctuation stripped, those that were only
    punctuation ("[", "—") skipped: the nearest two among the four tokens before, the first
    among the three after.
    """
    before = [
        w for token in body[max(0, start - 60) : start].split()[-4:] if (w := token.strip(_PUNCTUATION))
    ]
    after = ""
    for token in body[end : end + 40].split()[:3]:
        if after := token.strip(_PUNCTUATION):
            break
    # only ASCII 1-9 are masked: translating a context without them changes nothing
    context = f"{' '.join(before[:-3:-1])}|{after}".translate(_MASK_DIGITS)
    return xxhash.xxh32_intdigest(context.encode()) >> 16


def number_hashes(body: str) -> tuple[int, ...]:
    """The figures of ``body`` in context, as sorted 32-bit ``context:16 length:4 figure:12``.

    The context is the two words before and the one after (case-folded, digits masked).
    Comparing figures *by context* is what tells a recurring report (same sentence, other figure) from a
    copy with a dated header or a cut ending (figures whose context the other text lacks say
    nothing). OCR confusables are mapped back to digits first; the digit count is kept so
    that a figure OCR shortened or lengthened by a digit can be told from a changed one.
    Dates, weekdays and month names are figures too (``calendar_spans``): a daily report
    differs from yesterday's in its date even when its other figures do not change.
    Sorted by context hash and cut at ``MAX_NUMBERS``: a bottom-k sample, so two texts sample
    the same contexts.
    """
    return _figures(body.casefold())


#: A day count ("day 10 of the strike", "Tag 3"): the word right before a number of 1-3 digits.
_DAY_WORD_BEFORE = re.compile(r"(?<![^\W\d_])(?:day|tag|jour|día|dia|giorno|dag|dzień|dzien)\s+$")
_DAY_COUNT = re.compile(r"\d{1,3}[.,:]?")


def _figures(body: str, codes: npt.NDArray[np.uint32] | None = None) -> tuple[int, ...]:
    """``number_hashes`` of an already case-folded body (``codes``: its code points, if known)."""
    found: set[int] = set()
    dated: list[tuple[int, int]] = []
    for start, end, value, length in calendar_spans(body, codes):
        if length:
            figure = length << 12 | (xxhash.xxh32_intdigest(value.encode()) & 0xFFF)
            found.add(_context_hash(body, start, end) << 16 | figure)
            dated.append((start, end))
    for match in _NUMBER_TOKEN.finditer(body):
        start, end = match.span()
        if dated and any(a <= start < b for a, b in dated):
            continue  # the day of a date: counted with its date
        if _DAY_COUNT.fullmatch(match.group()) and (
            day := _DAY_WORD_BEFORE.search(body, max(0, start - 10), start)
        ):
            # a day count is a calendar figure: "day 10" against "day 1" is the next edition,
            # though the digit count moved by one (which the OCR rule below would excuse)
            count = match.group().rstrip(".,:")
            figure = CALENDAR_DAY << 12 | (xxhash.xxh32_intdigest(f"d{int(count)}".encode()) & 0xFFF)
            found.add(_context_hash(body, day.start(), start + len(count)) << 16 | figure)
            continue
        while start > 0 and body[start - 1] in _OCR_LETTERS:  # "l5" is 15 read badly
            start -= 1
        token = body[start:end]
        digits = token if token.isdigit() else _NON_DIGIT.sub("", token.translate(_OCR_DIGITS))
        figure = min(len(digits), MAX_DIGITS) << 12 | (xxhash.xxh32_intdigest(digits.encode()) & 0xFFF)
        found.add(_context_hash(body, start, end) << 16 | figure)
    return tuple(sorted(found)[:MAX_NUMBERS])


_CALENDAR_NAMES = frozenset(_MONTHS) | frozenset(_WEEKDAYS)


_FILTER_SIZE = 65521  # a prime: the keys modulo it spread well


def _word_keys(
    codes: npt.NDArray[np.uint32], starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]
) -> npt.NDArray[np.intp]:
    """A cheap key of each word ``codes[start:end]`` from its first two and last code points
    and its length: four gathers, no pass over the whole text as a full hash would take."""
    first = codes[starts].astype(np.intp)
    second = codes[np.minimum(starts + 1, ends - 1)].astype(np.intp)
    last = codes[ends - 1].astype(np.intp)
    key = ((first * 961 + second * 31 + last) << 6) + (ends - starts)  # < 2**63 for any code point
    return np.asarray(key % _FILTER_SIZE, dtype=np.intp)


def _name_filter() -> npt.NDArray[np.bool_]:
    """A one-key Bloom filter of the names that are plain letter runs (the "-feira" weekdays
    are not: see ``_calendar_words``)."""
    table = np.zeros(_FILTER_SIZE, dtype=np.bool_)
    for name in _CALENDAR_NAMES:
        if re.fullmatch(r"[^\W\d_]+", name):
            bounds = np.array([0], dtype=np.intp), np.array([len(name)], dtype=np.intp)
            table[_word_keys(code_points(name), *bounds)] = True
    return table


_NAME_FILTER = _name_filter()


def _letters(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Which code points ``[^\\W\\d_]`` matches: the BMP table, the rare others one by one."""
    letter = _IS_LETTER[np.minimum(codes, 0xFFFF)]
    big = codes > 0xFFFF
    if big.any():
        unique, index = np.unique(codes[big], return_inverse=True)
        chars = [chr(code) for code in unique.tolist()]
        letter[big] = np.array([c.isalnum() and not c.isdecimal() for c in chars], dtype=np.bool_)[index]
    return letter


def _calendar_words(body: str, codes: npt.NDArray[np.uint32] | None) -> list[tuple[int, int, str]]:
    """(start, end, word) of the words ``_ALPHA_WORD.finditer(body)`` yields that are month or
    weekday names, in order.

    A regex pass costs ~0.25 ms per 4 KB and a Python step per word ~0.3 ms more, when only a
    handful of the ~700 words are names. So: letter runs from a code point table, all hashed
    at once and looked up in ``_NAME_FILTER``; only the few hits are sliced out and checked
    against the names (which drops the filter's false positives). Where a table cannot match
    the regex, "-feira" (``_ALPHA_WORD`` glues it to the run before it, and a run right after
    it starts a new word), the regex itself is used.
    """
    if "-feira" in body:
        return [
            (m.start(), m.end(), m.group())
            for m in _ALPHA_WORD.finditer(body)
            if m.group() in _CALENDAR_NAMES
        ]
    if codes is None:
        codes = code_points(body)
    letter = np.zeros(codes.size + 2, dtype=np.bool_)
    letter[1:-1] = _letters(codes)
    edges = np.flatnonzero(letter[1:] != letter[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if not starts.size:
        return []
    hits = np.flatnonzero(_NAME_FILTER[_word_keys(codes, starts, ends)])
    found: list[tuple[int, int, str]] = []
    for start, end in zip(starts[hits].tolist(), ends[hits].tolist(), strict=True):
        word = body[start:end]
        if word in _CALENDAR_NAMES:
            found.append((start, end, word))
    return found


def calendar_spans(body: str, codes: npt.NDArray[np.uint32] | None = None) -> list[tuple[int, int, str, int]]:
    """(start, end, value, length class) of each date, weekday and month name in case-folded ``body``.

    A date ("monday 3 march", "march 3", "8. märz") is one figure, its value the day and
    month, its length class ``CALENDAR_DAY`` whatever the day's digits (weekly reports go
    from the 7th to the 14th, which the digit-count rule for OCR would excuse). A weekday or
    month on its own has class ``CALENDAR_WORD``. A publication stamp ("published 4 march 2025, 10:30") gets
    class 0: it dates a page, not the report, so copies re-issued later carry other stamps
    and only its digits count, as ordinary figures.
    """
    spans: list[tuple[int, int, str, int]] = []
    weekdays: list[tuple[int, int, str]] = []
    for first, last, word in _calendar_words(body, codes):
        start, end = first, last
        if word in _WEEKDAYS:
            weekdays.append((start, end, word))
            continue
        value = None
        if word in _DAY_MONTH_SET:
            if before := _DAY_BEFORE.search(body, max(0, start - 12), start):
                value, start = f"{int(before.group(1))}.{_MONTHS[word]}", before.start()
            elif after := _DAY_AFTER.match(body, end):
                value, end = f"{int(after.group(1))}.{_MONTHS[word]}", after.end()
        if value is None:
            if word in _LONE_MONTH_SET:
                spans.append((start, end, f"m{_MONTHS[word]}", CALENDAR_WORD))
            continue
        weekday = _WEEKDAY_BEFORE.search(body, max(0, start - 24), start)
        if weekday and weekday.group(1) in _WEEKDAYS:
            start = weekday.start()
        stamp = _STAMP_AFTER.match(body, end) or _STAMP_BEFORE.search(body[max(0, start - 30) : start])
        spans.append((start, end, value, 0 if stamp else CALENDAR_DAY))
    for start, end, word in weekdays:
        if not any(a <= start < b for a, b, _, _ in spans):
            spans.append((start, end, f"w{_WEEKDAYS[word]}", CALENDAR_WORD))
    spans.sort()
    return spans


def fingerprint(body: str) -> Fingerprint:
    """The body's MinHash signature, shingle count and figures."""
    folded = body.casefold()  # once for the shingles and the figures
    codes = code_points(folded)
    hashes, distinct = shingle_hashes(_shingle_array(codes))
    return Fingerprint(signature=minhash(hashes), size=distinct, numbers=_figures(folded, codes))


def simhash(body: str) -> str:
    """64-bit SimHash (hex) of the body's words as the shingles see them (case-folded, digits
    masked): a compact fingerprint for consumers' own clustering.

    Each word's hash comes from prefix sums of a polynomial hash (one pass of array operations
    instead of a Python call per word).
    """
    codes = shingle_codes(body)
    if codes.size == 0:
        return f"{0:016x}"
    space = codes == 32
    word = ~space
    starts = np.flatnonzero(word & np.concatenate(([True], space[:-1])))
    ends = np.flatnonzero(word & np.concatenate((space[1:], [True]))) + 1
    words = _span_hashes(codes, starts, ends)
    with np.errstate(over="ignore"):
        hashes = _mix(words + (ends - starts).astype(np.uint64))
    bits = np.unpackbits(hashes.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - hashes.size
    return f"{int(''.join('1' if v > 0 else '0' for v in votes.tolist()), 2):016x}"
