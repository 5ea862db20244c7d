"""Distinct news-like articles in any number, built from the sentences of real article texts.

The real texts are the dedup corpus's: trafilatura's main text of the trafilatura-eval pages
(``bench.dedup.texts.extract_all``, Apache-2.0 set, cached under ``bench/.cache/``), with
pages that already overlap another dropped (``bench.dedup.corpus.distinct_texts``). Those are
~900 texts, too few for a 20,000-document batch, and re-uploading them would only measure the
duplicate path. So each generated article is a new arrangement of real sentences: a headline
cut from one sentence, then paragraphs of 1-4 sentences drawn at random from the whole pool of
texts in one language, its length drawn from the real texts' lengths. Two articles of a
20,000 batch share on average well under 1% of their sentences, far from the service's
near-duplicate threshold (overlap of character 10-grams 0.6), so the service should store
all of them; the benchmark reports how many it stored and how many it called duplicates.

Deterministic for a seed: the same seed and the same cached texts give the same articles.
"""

from __future__ import annotations

import bisect
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from bench.dedup.corpus import distinct_texts
from bench.dedup.texts import extract_all

_WORD = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"“«(\[A-ZÀ-ÖØ-Þ0-9\u0400-\u04ff])")
MIN_WORDS = 80  # source texts shorter than this are navigation, not articles
MIN_POOL = 1500  # a language needs this many sentences to feed articles that do not overlap
MIN_SENTENCE_CHARS, MAX_SENTENCE_CHARS = 25, 600
WORDS_RANGE = (250, 1200)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str

    def as_txt(self) -> str:
        """The article as a plain-text file: headline, blank line, body."""
        return f"{self.title}\n\n{self.text}\n"


@dataclass(frozen=True)
class Pools:
    """Sentences by language (only languages with enough of them) and real article lengths."""

    sentences: dict[str, list[str]]
    lengths: list[int]  # words per real text, sorted

    @property
    def size(self) -> int:
        return sum(len(s) for s in self.sentences.values())


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph-structured text, stripped, dropping fragments and monsters."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        for piece in _SENTENCE.split(paragraph.strip()):
            sentence = piece.strip()
            if MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS and len(sentence.split()) >= 4:
                out.append(sentence)
    return out


def build_pools(texts: list[str], *, min_pool: int = MIN_POOL) -> Pools:
    """Groups real texts' sentences by language (py3langid, as the pipeline uses)."""
    import py3langid

    by_language: dict[str, list[str]] = defaultdict(list)
    lengths: list[int] = []
    for text in texts:
        language, _ = py3langid.classify(text[:4000])
        by_language[language].extend(split_sentences(text))
        lengths.append(len(_WORD.findall(text)))
    unique = {lang: list(dict.fromkeys(sentences)) for lang, sentences in sorted(by_language.items())}
    kept = {lang: sentences for lang, sentences in unique.items() if len(sentences) >= min_pool}
    return Pools(kept, sorted(lengths))


@lru_cache(maxsize=1)
def real_pools() -> Pools:
    """Pools from the dedup corpus's real texts (extracted once, cached on disk)."""
    texts = [r["text"] for r in extract_all() if len(_WORD.findall(r["text"])) >= MIN_WORDS]
    return build_pools(distinct_texts(list(dict.fromkeys(texts))))


def _headline(sentence: str, rng: random.Random) -> str:
    words = sentence.rstrip(".!?…").split()
    return " ".join(words[: rng.randrange(5, 13)])


class _Deck:
    """Sentences dealt in a shuffled order, reshuffled when used up: no sentence repeats
    before the whole pool has been dealt, so small batches share no sentence at all."""

    def __init__(self, sentences: list[str], rng: random.Random) -> None:
        self.sentences = sentences
        self.rng = rng
        self.order: list[int] = []

    def draw(self) -> str:
        if not self.order:
            self.order = list(range(len(self.sentences)))
            self.rng.shuffle(self.order)
        return self.sentences[self.order.pop()]


def generate(
    n: int, *, seed: int = 1, pools: Pools | None = None, prefix: str = "a", max_words: int | None = None
) -> list[Article]:
    """``n`` distinct articles; languages in proportion to their sentence pools."""
    pools = pools or real_pools()
    rng = random.Random(seed)
    languages = list(pools.sentences)
    weights = [len(pools.sentences[lang]) for lang in languages]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    low, high = WORDS_RANGE
    decks = {lang: _Deck(sentences, rng) for lang, sentences in pools.sentences.items()}
    articles: list[Article] = []
    for number in range(n):
        language = languages[bisect.bisect_right(cumulative, rng.randrange(cumulative[-1]))]
        deck = decks[language]
        target = min(max(rng.choice(pools.lengths), low), high)
        if max_words is not None:
            target = min(target, max_words)
        paragraphs: list[str] = []
        words = 0
        while words < target:
            sentences = [deck.draw() for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))]
            paragraphs.append(" ".join(sentences))
            words += sum(len(s.split()) for s in sentences)
        title = _headline(deck.draw(), rng)
        articles.append(Article(f"{prefix}{number:06d}", title, "\n\n".join(paragraphs)))
    return articles


def max_shared_share(articles: list[Article]) -> float:
    """The largest share of one article's sentences found in any other (0 = all distinct).

    Measured on whole sentences, independent of the service's own MinHash: a check that the
    generator keeps articles far from the near-duplicate threshold.
    """
    owners: dict[str, set[int]] = defaultdict(set)
    per_article: list[list[str]] = []
    for index, article in enumerate(articles):
        sentences = list(dict.fromkeys(s for p in article.text.split("\n\n") for s in split_sentences(p)))
        per_article.append(sentences)
        for sentence in sentences:
            owners[sentence].add(index)
    worst = 0.0
    for index, sentences in enumerate(per_article):
        if not sentences:
            continue
        shared: dict[int, int] = defaultdict(int)
        for sentence in sentences:
            for other in owners[sentence]:
                if other != index:
                    shared[other] += 1
        if shared:
            worst = max(worst, max(shared.values()) / len(sentences))
    return worst
