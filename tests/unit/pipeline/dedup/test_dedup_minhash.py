"""Fingerprints: what the shingles see, how noise and edits move the estimates."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np

from ingest_worker.pipeline.dedup.minhash import (
    BAND_LAYOUT,
    NUM_BANDS,
    NUM_BINS,
    fingerprint,
    number_hashes,
    shingle_text,
    simhash,
)
from ingest_worker.pipeline.dedup.verify import jaccard, overlap

SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "samples"


def _sample(name: str) -> str:
    return (SAMPLES / name).read_text("utf-8")


def test_shingle_text_is_casefolded_words_with_digits_masked() -> None:
    text = "Hello, WORLD!  It cost $1,850 — in 2021…\n\nÜber Straße"
    expected = re.sub(r"[1-9]", "0", " ".join(re.findall(r"\w+", text.casefold())))
    assert shingle_text(text) == expected


def test_identical_bodies_have_identical_fingerprints() -> None:
    body = _sample("000_db929eefe4fa1c71.txt")
    a, b = fingerprint(body), fingerprint(body)
    assert np.array_equal(a.signature, b.signature) and a.size == b.size and a.numbers == b.numbers
    assert a.signature.shape == (NUM_BINS,)


def test_band_keys_are_one_per_band_and_carry_the_band_number() -> None:
    keys = fingerprint(_sample("001_97712b54962e7890.txt")).band_keys()
    assert len(keys) == NUM_BANDS == len(BAND_LAYOUT)
    assert [k[0] for k in keys] == list(range(NUM_BANDS))
    assert all(len(k) == 7 for k in keys)


def test_ocr_noise_keeps_the_copy_close() -> None:
    body = _sample("000_db929eefe4fa1c71.txt")
    rng = random.Random(1)
    noisy = "".join(rng.choice("rnmcl") if c.isalpha() and rng.random() < 0.02 else c for c in body)
    a, b = fingerprint(body), fingerprint(noisy)
    assert overlap(a, b, jaccard(a, b)) > 0.7


def test_a_shortened_copy_is_contained_though_its_jaccard_is_low() -> None:
    body = _sample("001_97712b54962e7890.txt")
    half = "\n".join(body.splitlines()[: len(body.splitlines()) // 2])
    a, b = fingerprint(body), fingerprint(half)
    j = jaccard(a, b)
    assert j < 0.7
    assert overlap(a, b, j) > 0.85


def test_two_articles_on_the_same_event_share_little_text() -> None:
    a = fingerprint(_sample("000_db929eefe4fa1c71.txt"))
    b = fingerprint(_sample("001_97712b54962e7890.txt"))
    assert overlap(a, b, jaccard(a, b)) < 0.3


def test_figures_are_read_through_ocr_look_alikes() -> None:
    assert number_hashes("prices rose to 2ol5 dollars") == number_hashes("prices rose to 2015 dollars")
    assert number_hashes("prices rose to 2016 dollars") != number_hashes("prices rose to 2015 dollars")


def test_figures_carry_their_context() -> None:
    one = number_hashes("the gold price: 1,850 today")
    other = number_hashes("the silver price: 1,850 today")
    assert len(one) == len(other) == 1
    assert one[0] & 0xFFFF == other[0] & 0xFFFF and one != other


def test_simhash_is_sixteen_hex_digits_and_close_for_close_texts() -> None:
    body = _sample("001_97712b54962e7890.txt")
    a, b = simhash(body), simhash(body.replace("Moscow", "Moskau", 1))
    assert re.fullmatch(r"[0-9a-f]{16}", a)
    assert bin(int(a, 16) ^ int(b, 16)).count("1") <= 6
    assert simhash("") == "0" * 16
