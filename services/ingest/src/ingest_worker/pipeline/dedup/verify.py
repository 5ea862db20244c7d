"""Verification of LSH candidates: is this candidate a copy, only similar, or unrelated?

LSH only says two articles share a band; the verdict uses three estimates from the stored
fingerprints, so precision does not depend on the banding:

- Jaccard ``J``, the share of equal MinHash bins;
- the overlap coefficient ``|A∩B| / min(|A|,|B|)`` derived from ``J`` and the shingle counts
  (``|A∩B| = J(|A|+|B|)/(1+J)``). It is the *similarity* reported and thresholded: a shortened
  copy, or one wrapped in another outlet's header and footer, has a low Jaccard against its
  original but is still almost entirely contained in it;
- figures agreement. Shingles mask digits, so a weekly price report and last week's have a
  similarity near 1. Figures are compared where both texts have one in the same context
  (the words around it): a recurring report puts other figures in the same sentences, while
  a copy's extra figures (a dated header, a comment count) or missing ones (a cut ending)
  have no counterpart and so say nothing. Dates, weekdays and month names are figures too,
  and one that differs in a shared context is decisive: "on Monday 3 March" against "on
  Tuesday 4 March" is the next edition, whatever else stayed the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ingest_worker.pipeline.dedup.minhash import MAX_DIGITS, MAX_NUMBERS, NUM_BINS, Fingerprint

MAX_NEAR_DUPLICATES = 10


@dataclass(frozen=True)
class Candidate:
    """A canonical record already in the index."""

    handle: int  # insertion order within the collection: ties and redeliveries use it
    record_id: str
    fingerprint: Fingerprint
    added_at: int
    rev: int = 0  # number of its last change (insertion or absorbing a copy), same sequence


@dataclass(frozen=True)
class Verdict:
    similarity: float
    jaccard: float
    figures_shared: int
    figures_differing: int
    duplicate: bool
    dates_differing: int = 0


def jaccard(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.count_nonzero(a.signature == b.signature)) / NUM_BINS


def overlap(a: Fingerprint, b: Fingerprint, j: float) -> float:
    """Overlap coefficient from the Jaccard estimate and the distinct-shingle counts."""
    small = min(a.size, b.size)
    if small <= 0:
        return 0.0
    return min(1.0, j * (a.size + b.size) / ((1.0 + j) * small))


def _by_context(values: tuple[int, ...], limit: int) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for value in values:
        if value <= limit:
            out.setdefault(value >> 16, set()).add(value & 0xFFFF)
    return out


def merge_figures(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The figures of a story's cluster: a canonical learns those of the copies it absorbs.

    Without this, a shortened copy that lost the figures and arrived first would be the
    canonical, and both the full story and next week's edition would pass as its copies.
    """
    return tuple(sorted(set(a) | set(b))[:MAX_NUMBERS])


def absorb(canonical: Fingerprint, copy: Fingerprint) -> Fingerprint:
    """The canonical's fingerprint grown by a copy: it stands for its whole cluster.

    One-permutation MinHash of a union is the bin-wise minimum (the stored 16 bits are the
    bin's most significant bits below the bin number, so their order is the hash order); the
    union's size follows from the Jaccard estimate. Later copies are then compared with all
    that was seen of the story, not only with its first, perhaps shortened or noisy, version.
    """
    j = jaccard(canonical, copy)
    size = math.floor((canonical.size + copy.size) / (1.0 + j))
    signature = np.minimum(canonical.signature, copy.signature)
    return Fingerprint(signature, size, merge_figures(canonical.numbers, copy.numbers))


def _sample_limit(values: tuple[int, ...]) -> int:
    return values[-1] | 0xFFFF if len(values) >= MAX_NUMBERS else 2**32


def figures_compared(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, int]:
    """(figures compared, figures differing): see ``compare_figures``."""
    compared, differing, _dates = compare_figures(a, b)
    return compared, differing


def compare_figures(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, int, int]:
    """(figures compared, figures differing, dates differing) over the contexts both texts
    have figures in.

    A context can hold several figures ("in 2019 ... in 2020"); it weighs as many figures as
    the smaller side has there, and differs only when the two sides share none of them (a
    cut ending or a garbled context word leaves a context with fewer figures, not other
    ones) and some could not be one OCR-garbled into the other (``_changed``: a figure whose
    length changed by one digit is more likely OCR dropping or adding a digit than a new
    week's figure).

    Dates differing are contexts whose differing figures are calendar figures (a date, a
    weekday, a month: ``minhash.calendar_spans``).

    Both tuples are bottom-k samples by context; when one is full, only contexts below its
    largest are comparable, so both are cut there first.
    """
    limit = min(_sample_limit(a), _sample_limit(b))
    ca, cb = _by_context(a, limit), _by_context(b, limit)
    shared = ca.keys() & cb.keys()
    compared = differing = dates = 0
    for context in shared:
        fa, fb = ca[context], cb[context]
        count = min(len(fa), len(fb))
        compared += count
        if fa & fb:
            continue
        pairs = [(a >> 12, b >> 12) for a in fa for b in fb if _changed(a >> 12, b >> 12)]
        if pairs:
            differing += count
            dates += any(a > MAX_DIGITS for a, _ in pairs)
    return compared, differing, dates


def _changed(a: int, b: int) -> bool:
    """Two figures in one context, by length class, that OCR cannot explain: the same number
    of digits (a new figure), or digit counts two or more apart (OCR drops or adds one digit,
    not three: "0" against "7919" is another edition). Calendar classes compare only alike."""
    if a > MAX_DIGITS or b > MAX_DIGITS:
        return a == b
    return abs(a - b) != 1


def figures_agree(shared: int, differing: int) -> bool:
    """A copy may differ in a few figures (OCR garbles one, an editor fixes one); a recurring
    report changes many. Disagree when more than a fifth of the shared contexts hold another
    figure, and, when that is a single figure, more than half of them do."""
    return not (differing * 5 > shared and (differing >= 2 or differing * 2 >= shared))


def verify(query: Fingerprint, stored: Fingerprint, threshold: float) -> Verdict:
    """A copy: similar enough, figures agreeing, and no date, weekday or month in a shared
    context differing. A date is what a recurring report changes even when nothing else
    does; a copy keeps it (a re-issue's own publication stamp is not a date here)."""
    j = jaccard(query, stored)
    similarity = overlap(query, stored, j)
    shared, differing, dates = compare_figures(query.numbers, stored.numbers)
    duplicate = similarity >= threshold and figures_agree(shared, differing) and dates == 0
    return Verdict(similarity, j, shared, differing, duplicate, dates)


@dataclass(frozen=True)
class Outcome:
    duplicate_of: Candidate | None
    similarity: float | None
    near_duplicates: list[tuple[str, float]]


def decide(
    query: Fingerprint, candidates: Iterable[Candidate], threshold: float, report_threshold: float
) -> Outcome:
    """The best verified copy, else the similar ones.

    Best: most figures agreeing in shared contexts (a shortened copy is contained in both this
    week's report and last week's; the figures it kept tell which), then highest similarity,
    then earliest.

    A pure function of the candidate set: the memory and Redis indexes give the same answer
    whenever they hand it the same candidates.
    """
    best: tuple[int, float, int, Candidate] | None = None
    near: list[tuple[float, int, Candidate]] = []
    for candidate in sorted(candidates, key=lambda c: c.handle):
        verdict = verify(query, candidate.fingerprint, threshold)
        if verdict.duplicate:
            agreeing = verdict.figures_shared - verdict.figures_differing
            if best is None or (agreeing, verdict.similarity) > best[:2]:
                best = (agreeing, verdict.similarity, candidate.handle, candidate)
        elif verdict.similarity >= report_threshold:
            near.append((verdict.similarity, candidate.handle, candidate))
    if best is not None:
        return Outcome(best[3], round(best[1], 4), [])
    near.sort(key=lambda item: (-item[0], item[1]))
    return Outcome(None, None, [(c.record_id, round(s, 4)) for s, _, c in near[:MAX_NEAR_DUPLICATES]])
