"""Which lines are article and which are page furniture: per-line evidence, then context.

The scheme is jusText's, adapted to plain text where there is no markup and no link density:

1. Each line gets a first class from features that work in any language — its length, its
   density of function words (stop words), sentence punctuation, menu separators — and from
   the multilingual cue lists (``cues``): *good*, *neargood*, *short* or *bad*.
2. Lines the rules cannot decide (short, neargood) and that recur in many documents of the
   same source are furniture (``profiles``: the CCNet idea, learnt online).
3. Context decides the rest: a short or near-good line between good lines is article text,
   between furniture it is furniture. Headings that open good text stay with it.

Everything is one or two linear passes; regexes see at most ``SCAN_CHARS`` per line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest_worker.pipeline.language import guess_language
from ingest_worker.pipeline.text.cues import CUE_TRIGGERS, CUES, MENU_SEPARATORS, NAV_LINES
from ingest_worker.pipeline.text.segment import BODY, BOILERPLATE, UNSURE, Layout, Line
from ingest_worker.pipeline.text.stopwords import stoplist, stoplist_from_document

GOOD, NEARGOOD, SHORT, BAD = "good", "neargood", "short", "bad"

_TOKEN = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = tuple('.!?…"”»)。！？:;')
_FULL_STOP = tuple(".!?…。！？")
#: Density and length thresholds (jusText's defaults, tuned on web-page dumps).
LENGTH_LOW = 70
LENGTH_HIGH = 200
STOP_LOW = 0.30
STOP_HIGH = 0.32
#: Lines per document whose own language is guessed when the page's function words do not fit.
LINE_LANGUAGE_BUDGET = 10
#: Only this much of a line is tokenised: density over 3000 characters is density enough.
TOKEN_CHARS = 3000


@dataclass(slots=True)
class LineEvidence:
    """What the per-line rules saw: a class and, for *bad*, why."""

    cls: str
    reason: str = ""


def tokens_of(line: Line) -> list[str]:
    return _TOKEN.findall(line.text[:TOKEN_CHARS].casefold())


def cue_reason(line: Line, tokens: list[str]) -> str | None:
    """The furniture cue a line carries, if it is short enough for cues to be trusted."""
    if line.key in NAV_LINES:
        return "navigation"
    words = len(tokens)
    if words > 25:
        return None
    scan = line.scan
    if not _has_trigger(tokens, scan):
        return None
    for reason, pattern in CUES:
        if pattern.match(scan) if words > 12 else pattern.search(scan):
            return reason
    return None


def _has_trigger(tokens: list[str], scan: str) -> bool:
    return "©" in scan or "(c)" in scan or any(token[:4] in CUE_TRIGGERS for token in tokens[:40])


def first_pass(lines: Sequence[Line], language: str | None, *, cjk: bool = False) -> list[LineEvidence]:
    """Context-free evidence for each line."""
    token_lists = [tokens_of(line) for line in lines]
    stops = stoplist(language)
    if stops is None:
        stops = stoplist_from_document(token_lists)
    evidence: list[LineEvidence] = []
    budget = LINE_LANGUAGE_BUDGET
    for line, tokens in zip(lines, token_lists, strict=True):
        ev = _evidence(line, tokens, stops, cjk)
        if ev.reason == "low_text_density" and budget and line.text.endswith(_FULL_STOP):
            # a whole sentence that fails the page's function words may be in another language
            budget -= 1
            ev = _in_own_language(line, tokens) or ev
        evidence.append(ev)
    return evidence


def _in_own_language(line: Line, tokens: list[str]) -> LineEvidence | None:
    language, _ = guess_language(line.text[:300])
    own = stoplist(language)
    if own is None:
        cjk = bool(_CJK.search(line.scan))
        return _evidence(line, tokens, frozenset(), cjk) if cjk else None
    return _evidence(line, tokens, own, False)


def _evidence(line: Line, tokens: list[str], stops: frozenset[str], cjk: bool) -> LineEvidence:
    text = line.text
    words = len(tokens)
    reason = cue_reason(line, tokens)
    if reason is not None:
        return LineEvidence(BAD, reason)
    length = len(text)
    if cjk:  # no spaces: characters carry what words carry elsewhere
        length *= 3
    letters = sum(map(str.isalpha, text[:TOKEN_CHARS]))
    if letters < min(length, TOKEN_CHARS) * 0.4:
        return LineEvidence(BAD, "symbols_or_numbers")
    if words <= 12 and len(MENU_SEPARATORS.findall(line.scan)) >= 2:
        return LineEvidence(BAD, "navigation")
    if cjk:
        density = STOP_HIGH if text.endswith(_SENTENCE_END) or "，" in text or "、" in text else 0.0
    else:
        density = sum(1 for token in tokens if token in stops) / max(words, 1)
    if length < LENGTH_LOW:
        # a short complete sentence ("The army has yet to comment.") is prose, not furniture
        if words >= 4 and text.endswith(_FULL_STOP) and density >= STOP_LOW and text[:1].isupper():
            return LineEvidence(NEARGOOD)
        return LineEvidence(SHORT)
    if density >= STOP_HIGH:
        return LineEvidence(GOOD if length > LENGTH_HIGH else NEARGOOD)
    if density >= STOP_LOW:
        return LineEvidence(NEARGOOD)
    return LineEvidence(BAD, "low_text_density")


def resolve(evidence: list[LineEvidence], lines: Sequence[Line]) -> None:
    """jusText's context rules: short and near-good lines take their class from neighbours."""
    classes = [e.cls for e in evidence]
    resolved = _resolve_classes(classes)
    if GOOD not in resolved:
        # nothing reads like an article in context: in a short text, near-good prose is the article
        resolved = _resolve_classes([GOOD if cls == NEARGOOD else cls for cls in classes])
    for i, line in enumerate(lines):
        if resolved[i] == GOOD:
            line.mark(BODY, "")
        else:
            line.mark(BOILERPLATE, evidence[i].reason or "short_fragment")


def _resolve_classes(classes: list[str]) -> list[str]:
    # nearest non-short, non-neargood class before and after each line (edges count as bad)
    prev_strict, next_strict = _neighbours(classes, skip=(SHORT, NEARGOOD))
    prev_loose, next_loose = _neighbours(classes, skip=(SHORT,))
    resolved = list(classes)
    for i, cls in enumerate(classes):
        if cls == SHORT:
            before, after = prev_strict[i], next_strict[i]
            if before == GOOD and after == GOOD:
                resolved[i] = GOOD
            elif before == BAD and after == BAD:
                resolved[i] = BAD
            elif (before == BAD and prev_loose[i] == NEARGOOD) or (
                after == BAD and next_loose[i] == NEARGOOD
            ):
                resolved[i] = GOOD
            else:
                resolved[i] = BAD
        elif cls == NEARGOOD:
            resolved[i] = BAD if prev_strict[i] == BAD and next_strict[i] == BAD else GOOD
    return resolved


def _neighbours(classes: list[str], skip: tuple[str, ...]) -> tuple[list[str], list[str]]:
    n = len(classes)
    before, after = [BAD] * n, [BAD] * n
    last = BAD
    for i in range(n):
        before[i] = last
        if classes[i] not in skip:
            last = classes[i]
    last = BAD
    for i in range(n - 1, -1, -1):
        after[i] = last
        if classes[i] not in skip:
            last = classes[i]
    return before, after


def classify(
    layout: Layout,
    *,
    is_common: Callable[[Line], bool] | None = None,
) -> None:
    """Marks every still-undecided line of ``layout`` as body or boilerplate."""
    lines = [line for line in layout.lines if line.kind == UNSURE]
    if not lines:
        return
    cjk = _is_cjk(lines)
    evidence = first_pass(lines, layout.language, cjk=cjk)
    if is_common is not None:
        for ev, line in zip(evidence, lines, strict=True):
            if ev.cls in (SHORT, NEARGOOD) and is_common(line):
                ev.cls, ev.reason = BAD, "source_repeat"
    resolve(evidence, lines)


def _is_cjk(lines: Sequence[Line]) -> bool:
    sample = "".join(line.text[:200] for line in lines[:200])
    return len(_CJK.findall(sample)) > len(sample) * 0.3
