"""The dedup development corpus: real article texts, edited the ways a news archive sees.

Built reproducibly from a seed. Each *cluster* is one story: its original plus copies that
must be dropped (republished with another outlet's headline and chrome, shortened, lightly
edited, re-typed, OCR'd with noise, and combinations). Two kinds of *must-not-merge* pairs
sit beside them in separate clusters: articles about the same event that share a few
sentences (quotes, a wire lede) but are written apart, and recurring reports that share
most of their wording but differ in their figures. Many untouched articles are distractors.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.dedup.texts import extract_all

SAMPLES = Path("/work/shared/samples")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")


@dataclass
class Doc:
    id: str
    cluster: str
    kind: str
    text: str


@dataclass
class Corpus:
    docs: list[Doc]
    must_not_merge: list[tuple[str, str, str]] = field(default_factory=list)  # (id, id, why)


OUTLETS = [
    ("The Daily Ledger", "dailyledger.example"),
    ("Northern Courier", "northern-courier.example"),
    ("Metro Wire", "metrowire.example"),
    ("Le Journal du Soir", "journaldusoir.example"),
    ("Independent Post", "indypost.example"),
    ("Coastal Times", "coastaltimes.example"),
]
HEADER_LINES = [
    "By {outlet} staff | Updated {hh}:{mm}",
    "Home > News > World",
    "{outlet} — breaking news, analysis and opinion",
    "Listen to this article · {mm} min",
    "Published {dd} March 2024, {hh}:{mm} GMT",
    "Advertisement",
    "Share on Facebook  Share on Twitter  Email",
]
FOOTER_LINES = [
    "© {year} {outlet}. All rights reserved.",
    "Follow {outlet} on Twitter and Facebook for more updates.",
    "This story was originally published by a partner agency and is republished here with permission.",
    "Sign up for our newsletter: the day's top stories in your inbox every morning.",
    "Read more: the latest headlines from {site}",
    "Comments ({mm})",
    "Got a tip? Contact the newsroom at news@{site}",
]
CONFUSABLE = {
    "m": "rn",
    "rn": "m",
    "l": "1",
    "1": "l",
    "o": "0",
    "0": "o",
    "e": "c",
    "c": "e",
    "i": "l",
    "S": "5",
    "5": "S",
    "B": "8",
    "h": "b",
    "u": "v",
    "cl": "d",
    "w": "vv",
}


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def _join(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def _chrome(rng: random.Random, template: str) -> str:
    outlet, site = rng.choice(OUTLETS)
    return template.format(
        outlet=outlet,
        site=site,
        hh=f"{rng.randrange(24):02d}",
        mm=rng.randrange(2, 59),
        dd=rng.randrange(1, 29),
        year=rng.choice([2021, 2022, 2023, 2024]),
    )


def republish(text: str, rng: random.Random, pool: list[str]) -> str:
    """Another outlet: a new headline, a header and a footer around the same body."""
    donor = _WORD.findall(rng.choice(pool))[:40]
    headline = " ".join(w.capitalize() for w in rng.sample(donor, min(len(donor), rng.randrange(5, 11))))
    head = [_chrome(rng, t) for t in rng.sample(HEADER_LINES, rng.randrange(1, 4))]
    foot = [_chrome(rng, t) for t in rng.sample(FOOTER_LINES, rng.randrange(1, 4))]
    return _join([headline, *head, *_paragraphs(text), *foot])


def shorten(text: str, rng: random.Random) -> str:
    """Cut for space: the first 40-85% of the story, at a sentence or paragraph end."""
    words = text.split(" ")
    keep = int(len(words) * rng.uniform(0.4, 0.85))
    cut = " ".join(words[:keep])
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return cut[: end + 1] if end > len(cut) // 2 else cut


def light_edit(text: str, rng: random.Random) -> str:
    """A copy editor's pass: a few words changed, dropped or added; maybe a sentence cut."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) > 3 and rng.random() < 0.5:
        paragraphs.pop(rng.randrange(1, len(paragraphs)))
    vocabulary = _WORD.findall(text) or ["the"]
    rate = rng.uniform(0.02, 0.06)
    out = []
    for paragraph in paragraphs:
        words = paragraph.split(" ")
        edited: list[str] = []
        for word in words:
            roll = rng.random()
            if roll < rate / 3:
                continue
            if roll < 2 * rate / 3:
                edited.append(rng.choice(vocabulary))
            elif roll < rate:
                edited.extend([word, rng.choice(vocabulary)])
            else:
                edited.append(word)
        out.append(" ".join(edited))
    return _join(out)


def retype(text: str, rng: random.Random) -> str:
    """Re-keyed by hand: quotes, dashes, case and spacing differ; rare typos."""
    text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("—", "-")
    chars = list(text)
    for i in range(len(chars)):
        if chars[i].isalpha() and rng.random() < 0.004:
            chars[i] = rng.choice("etaoinshrdlu")
    text = "".join(chars)
    if rng.random() < 0.5:
        text = re.sub(r"(?m)^(.{0,60})$", lambda m: m.group(1).upper(), text)
    return re.sub(r" ", lambda _m: "  " if rng.random() < 0.02 else " ", text)


def ocr_noise(text: str, rng: random.Random) -> str:
    """Scanned and OCR'd: confusable glyphs, dropped and stray characters, hyphenated line ends."""
    rate = rng.uniform(0.01, 0.04)
    out: list[str] = []
    i = 0
    while i < len(text):
        two = text[i : i + 2]
        roll = rng.random()
        if roll < rate * 0.5 and two in CONFUSABLE:
            out.append(CONFUSABLE[two])
            i += 2
            continue
        ch = text[i]
        if roll < rate * 0.5 and ch in CONFUSABLE:
            out.append(CONFUSABLE[ch])
        elif roll < rate * 0.7:
            pass  # dropped
        elif roll < rate * 0.85:
            out.append(ch + rng.choice(".,'il"))
        elif roll < rate and ch == " ":
            out.append(rng.choice(["", "-\n", "\n"]))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def change_figures(text: str, rng: random.Random) -> str:
    """Next week's report: the same wording, most figures different."""
    numbers = _NUMBER.findall(text)
    distinct = sorted(set(numbers))
    changed = set(rng.sample(distinct, max(1, int(len(distinct) * rng.uniform(0.6, 1.0)))))

    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        if value not in changed:
            return value
        digits = list(value)
        positions = [k for k, c in enumerate(digits) if c.isdigit()]
        for k in rng.sample(positions, max(1, len(positions) // 2)):
            digits[k] = rng.choice([d for d in "0123456789" if d != digits[k]])
        return "".join(digits)

    out = _NUMBER.sub(swap, text)
    for a, b in (("rose", "fell"), ("increased", "decreased"), ("higher", "lower"), ("up", "down")):
        if rng.random() < 0.5:
            out = re.sub(rf"\b{a}\b", b, out)
    return out


def same_event(source: str, other: str, rng: random.Random) -> str:
    """Another outlet's own story on the same event: its text, with a few shared sentences."""
    sentences = [s for p in _paragraphs(source) for s in _SENTENCE.split(p) if len(s) > 40]
    own = _paragraphs(other)
    share = rng.sample(sentences, min(len(sentences), rng.randrange(1, 4)))
    for sentence in share:
        own.insert(rng.randrange(len(own) + 1), f"“{sentence}” the statement said.")
    return _join(own)


Edit = Callable[[str, random.Random, list[str]], str]
EDITS: dict[str, Edit] = {
    "republished": republish,
    "shortened": lambda t, r, p: shorten(t, r),
    "light_edit": lambda t, r, p: light_edit(t, r),
    "retyped": lambda t, r, p: retype(t, r),
    "ocr": lambda t, r, p: ocr_noise(t, r),
    "republished+shortened": lambda t, r, p: republish(shorten(t, r), r, p),
    "republished+light_edit": lambda t, r, p: republish(light_edit(t, r), r, p),
    "shortened+ocr": lambda t, r, p: ocr_noise(shorten(t, r), r),
    "light_edit+retyped": lambda t, r, p: retype(light_edit(t, r), r),
}


def _sample_pair() -> list[str]:
    """The two real sample files (same event, not duplicates), without their obvious chrome."""
    texts = []
    for name in ("000_db929eefe4fa1c71.txt", "001_97712b54962e7890.txt"):
        path = SAMPLES / name
        if path.exists():
            lines = [ln for ln in _paragraphs(path.read_text("utf-8")) if len(ln) > 60]
            texts.append(_join(lines))
    return texts


def distinct_texts(texts: list[str], *, shared: float = 0.3) -> list[str]:
    """Drops texts that already overlap a kept one (the eval set holds a few pages of one press
    release, or a wire story and an outlet's version of it): gold labels must not call true
    copies distinct. Measured with exact word 8-gram containment, independent of the method
    under test; the first of each group is kept."""
    owners: dict[int, list[int]] = {}
    sizes: list[int] = []
    kept: list[str] = []
    for text in texts:
        words = _WORD.findall(text.casefold())
        grams = {hash(" ".join(words[i : i + 8])) for i in range(max(1, len(words) - 7))}
        hits: Counter[int] = Counter(owner for gram in grams for owner in owners.get(gram, ()))
        if any(count >= shared * min(len(grams), sizes[owner]) for owner, count in hits.items()):
            continue
        for gram in grams:
            owners.setdefault(gram, []).append(len(kept))
        sizes.append(len(grams))
        kept.append(text)
    return kept


def build(
    seed: int = 20240601,
    *,
    n_clusters: int = 260,
    n_same_event: int = 70,
    n_recurring: int = 70,
    min_words: int = 120,
) -> Corpus:
    """The corpus for ``seed``: same seed and same cached texts give the same corpus."""
    rng = random.Random(seed)
    texts = [r["text"] for r in extract_all() if len(_WORD.findall(r["text"])) >= min_words]
    texts = distinct_texts(list(dict.fromkeys(texts)))
    rng.shuffle(texts)
    docs: list[Doc] = []
    pairs: list[tuple[str, str, str]] = []
    counter = iter(range(10**9))

    def add(cluster: str, kind: str, text: str) -> str:
        doc_id = f"d{next(counter):05d}"
        docs.append(Doc(doc_id, cluster, kind, text))
        return doc_id

    bases = texts[:n_clusters]
    fresh = texts[n_clusters:]
    originals: dict[int, str] = {}
    for index, base in enumerate(bases):
        cluster = f"c{index:04d}"
        originals[index] = add(cluster, "original", base)
        for kind in rng.sample(sorted(EDITS), rng.choice([1, 1, 2, 2, 3, 4])):
            add(cluster, kind, EDITS[kind](base, rng, texts))

    # recurring reports: bases with enough figures get a "next week" edition (its own story)
    with_figures = [i for i, b in enumerate(bases) if len(set(_NUMBER.findall(b))) >= 4]
    for n, index in enumerate(rng.sample(with_figures, min(n_recurring, len(with_figures)))):
        cluster = f"r{n:04d}"
        edition = change_figures(bases[index], rng)
        new_id = add(cluster, "recurring", edition)
        pairs.append((originals[index], new_id, "recurring"))
        if rng.random() < 0.4:  # the new edition is itself republished: must join it, not the old one
            copy = add(cluster, "recurring+republished", republish(edition, rng, texts))
            pairs.append((originals[index], copy, "recurring"))

    # same event, written apart: a fresh article that quotes a few of the base's sentences
    for n in range(min(n_same_event, len(fresh) // 2)):
        index = rng.randrange(len(bases))
        cluster = f"e{n:04d}"
        new_id = add(cluster, "same_event", same_event(bases[index], fresh[n], rng))
        pairs.append((originals[index], new_id, "same_event"))
    sample = _sample_pair()
    if len(sample) == 2:
        a = add("s0000", "sample", sample[0])
        b = add("s0001", "sample", sample[1])
        pairs.append((a, b, "same_event"))

    # distractors: untouched unrelated articles
    for n, text in enumerate(fresh[n_same_event:]):
        add(f"u{n:04d}", "unrelated", text)

    rng.shuffle(docs)
    return Corpus(docs, pairs)
