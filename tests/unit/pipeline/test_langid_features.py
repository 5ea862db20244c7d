"""The numpy feature counter gives py3langid's own counts, so the language answers do not move."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from py3langid.langid import visit_counts

from bench.quality.run import CORPUS, _decode
from ingest_worker.pipeline.langid_features import FeatureCounter
from ingest_worker.pipeline.language import SAMPLE_CHARS, _identifier, guess_language

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"

#: One line of each script py3langid knows, and a few it does not.
SCRIPTS = [
    "Die Bundesregierung hat am Mittwoch neue Regeln für den Wohnungsbau beschlossen.",
    "Le gouvernement a présenté son projet de loi sur les retraites à l'Assemblée.",
    "Президент заявил о новых мерах поддержки экономики.",
    "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.",
    "הממשלה אישרה את התקציב לאחר דיון ארוך.",
    "أعلنت الحكومة عن إجراءات جديدة لدعم الاقتصاد.",
    "सरकार ने अर्थव्यवस्था के लिए नए उपायों की घोषणा की।",
    "সরকার অর্থনীতির জন্য নতুন পদক্ষেপ ঘোষণা করেছে।",
    "அரசாங்கம் பொருளாதாரத்திற்கான புதிய நடவடிக்கைகளை அறிவித்தது.",
    "รัฐบาลประกาศมาตรการใหม่เพื่อสนับสนุนเศรษฐกิจ",
    "政府宣布了支持经济的新措施。",
    "政府は経済を支援する新たな措置を発表した。",
    "정부는 경제를 지원하기 위한 새로운 조치를 발표했다.",
    "მთავრობამ ეკონომიკის მხარდასაჭერად ახალი ზომები გამოაცხადა.",
    "Կառավարությունը հայտարարեց տնտեսությանն աջակցելու նոր միջոցառումների մասին։",
    "መንግስት ኢኮኖሚውን ለመደገፍ አዲስ እርምጃዎችን አስታውቋል።",
    "THE COUNCIL APPROVED THE BUDGET AFTER A LONG DEBATE",
    "Ventas netas suben un 5%",
    "12 34 56 78 90 12 34 56 78 90",
    "🙂🙃 emoji 🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 beyond the basic plane",
    "e\u0301 decomposed, \u212b Angstrom, \ufb01 ligature, \u00a0no-break",
    "",
    "a",
    "é",
    "\x00\x01\x7f\ud800 lone surrogate",
]


def _random_texts(seed: int, count: int) -> Iterator[str]:
    """Strings from ASCII, Latin, Cyrillic, CJK, Arabic, emoji and anything at all."""
    rng = random.Random(seed)
    ranges = [(0x20, 0x7E), (0xC0, 0x24F), (0x400, 0x4FF), (0x4E00, 0x9FFF), (0x600, 0x6FF)]
    ranges += [(0x1F300, 0x1FAFF), (0x0, 0x10FFFF)]
    for _ in range(count):
        low, high = rng.choice(ranges)
        length = rng.choice([1, 2, 5, 30, 300, 2000])
        yield "".join(chr(rng.randint(low, high)) for _ in range(length))


def _random_bytes(seed: int, count: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(count):
        yield bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 3, 40, 1500])))


def _sample_texts() -> list[str]:
    return [path.read_text("utf-8", errors="replace") for path in sorted(SAMPLES.glob("*.txt"))]


def eval_page_texts(limit: int | None = None) -> Iterator[str]:
    """The whole-page text of the eval set's pages (as the quality bench feeds them)."""
    import html_text

    entries = list(json.loads((CORPUS / "evaldata.json").read_text()).values())[:limit]
    for entry in entries:
        raw = gzip.decompress((CORPUS / "html" / f"{entry['file']}.gz").read_bytes())
        yield html_text.extract_text(_decode(raw), guess_layout=True)


@contextmanager
def py3langid_walk() -> Iterator[None]:
    """The identifier as py3langid ships it: features counted by its own automaton walk."""
    identifier = _identifier()
    counter, identifier.features = identifier.features, None
    try:
        yield
    finally:
        identifier.features = counter


def _counter() -> FeatureCounter:
    counter = _identifier().features
    assert isinstance(counter, FeatureCounter), "the installed model should be indexable"
    return counter


def assert_same_counts(text: str | bytes) -> None:
    """Same Counter as ``visit_counts``, keys in the same order (the score's sum follows it)."""
    identifier = _identifier()
    for sample in (text, text[:SAMPLE_CHARS]):
        data = identifier._encode(sample)
        walked = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data)
        counted = _counter().visits(data)
        assert counted == walked
        assert list((counted or {}).items()) == list((walked or {}).items())


def assert_same_answers(texts: list[str]) -> None:
    new = [(guess_language(t), guess_language(t, priors=False), _identifier().rank(t)) for t in texts]
    with py3langid_walk():
        old = [(guess_language(t), guess_language(t, priors=False), _identifier().rank(t)) for t in texts]
    for text, before, after in zip(texts, old, new, strict=True):
        assert after == before, text[:80]


def test_the_automaton_is_the_aho_corasick_automaton_of_its_strings() -> None:
    """What makes the counts equal for every input, not only the ones below."""
    counter = _counter()
    counter.verify_automaton()
    assert counter.depth == 6  # py3langid's byte n-grams: 1 to 6 bytes


def test_a_broken_automaton_fails_verification() -> None:
    identifier = _identifier()
    nextmove = type(identifier.tk_nextmove)(identifier.tk_nextmove.typecode, identifier.tk_nextmove)
    state = 5000
    row = identifier.tk_row[state] * 256
    byte = next(b for b in range(256) if nextmove[row + b] == 0)
    nextmove[row + byte] = 1  # a transition to a state whose string does not end the input
    counter = FeatureCounter(nextmove, identifier.tk_row, identifier.tk_output)
    with pytest.raises(ValueError, match="Aho–Corasick"):
        counter.verify_automaton()


@pytest.mark.parametrize("text", SCRIPTS)
def test_counts_equal_py3langid_on_every_script(text: str) -> None:
    assert_same_counts(text)


def test_counts_equal_py3langid_on_random_text_and_bytes() -> None:
    for text in _random_texts(seed=1, count=300):
        assert_same_counts(text)
    for data in _random_bytes(seed=2, count=100):
        assert_same_counts(data)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
def test_counts_equal_py3langid_on_the_samples() -> None:
    for text in _sample_texts():
        assert_same_counts(text)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="eval pages not present")
def test_counts_and_answers_equal_py3langid_on_eval_pages() -> None:
    """Forty of the 990 pages here; all 990 were checked once (identical on 990/990)."""
    texts = list(eval_page_texts(limit=40))
    for text in texts:
        assert_same_counts(text)
    assert_same_answers(texts)


def test_answers_equal_py3langid() -> None:
    texts = SCRIPTS + list(_random_texts(seed=3, count=100))
    texts += _sample_texts() if SAMPLES.is_dir() else []
    assert_same_answers(texts)
