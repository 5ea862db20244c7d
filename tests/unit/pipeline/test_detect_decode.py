"""Detect and decode: what the bytes are, and which text they hold, before any parsing."""

from __future__ import annotations

import random

import pytest

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import Decode
from ingest_worker.pipeline.detect import DetectFormat
from ingest_worker.pipeline.normalise import Normalise, content_hash, normalise_text

CTX = StageContext(dedup_enabled=False)


def _decoded(raw: bytes, **kwargs: str) -> Article:
    doc = DetectFormat()(Article(raw=raw, **kwargs), CTX)  # type: ignore[arg-type]
    return Decode()(doc, CTX)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"%PDF-1.7\n" + bytes(range(256)), "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
        (b"PK\x03\x04" + bytes(100), "ZIP"),
        (bytes(range(32)) * 50, "binary"),
    ],
)
def test_empty_and_binary_inputs_are_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(Reject, match=reason):
        _decoded(raw)


def test_random_high_bytes_are_rejected_as_undecodable() -> None:
    rng = random.Random(3)
    raw = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    with pytest.raises(Reject, match="undecodable"):
        _decoded(raw)


def test_html_is_recognised_by_name_by_declared_type_and_by_content() -> None:
    page = b"<!doctype html><html><head><title>x</title></head><body><p>Hello there</p></body></html>"
    assert _decoded(page).content_type == "text/html"
    assert _decoded(b"Plain words, <b> once.", filename="a.html").content_type == "text/html"
    assert _decoded(page, declared_content_type="text/plain").content_type == "text/plain"
    assert _decoded(b"Just a plain article about <things>.").content_type == "text/plain"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Café crème brûlée, voilà la réponse à tout. " * 20, "cp1252"),
        ("Rząd przyjął projekt ustawy o podatku, który ma wejść w życie w przyszłym roku. " * 10, "cp1250"),
        ("Правительство одобрило законопроект о налоге, который вступит в силу. " * 10, "cp1251"),
    ],
)
def test_legacy_encodings_are_detected(text: str, encoding: str) -> None:
    doc = _decoded(text.encode(encoding))
    assert doc.text == text
    assert doc.encoding == encoding


def test_utf8_with_a_few_broken_bytes_stays_utf8() -> None:
    good = "Grüße aus München — zażółć gęślą jaźń. ".encode() * 40
    doc = _decoded(good[:700] + b"\xff" + good[700:])
    assert doc.encoding == "utf-8"
    assert "München" in (doc.text or "")


def test_byte_order_marks_decide_the_encoding() -> None:
    text = "Nachrichten aus aller Welt, heute mit Wetter."
    assert _decoded(b"\xef\xbb\xbf" + text.encode()).text == text
    assert _decoded(b"\xff\xfe" + text.encode("utf-16-le")).text == text


def test_text_longer_than_the_limit_is_rejected() -> None:
    ctx = StageContext(dedup_enabled=False, max_text_chars=1000)
    doc = DetectFormat()(Article(raw=b"word " * 500), ctx)
    with pytest.raises(Reject, match="too long"):
        Decode()(doc, ctx)


def test_normalising_repairs_mojibake_and_keeps_typographic_quotes() -> None:
    assert normalise_text("The cafÃ©\u00a0 said  “yes”\u200b") == "The café said “yes”"


def test_the_body_is_paragraphs_separated_by_one_blank_line_with_a_word_count() -> None:
    doc = Article(raw=b"", paragraphs=["  First   paragraph. ", "", "Second one here."])
    doc = Normalise()(doc, CTX)
    assert doc.body == "First paragraph.\n\nSecond one here."
    assert doc.word_count == 5
    assert doc.content_sha256 == content_hash("first PARAGRAPH second one here")


def test_a_document_with_no_body_left_is_rejected() -> None:
    with pytest.raises(Reject, match="no article text"):
        Normalise()(Article(raw=b"x", paragraphs=["", "  "]), CTX)


def test_a_repeated_byte_pattern_is_not_readable_text() -> None:
    with pytest.raises(Reject, match="readable"):
        _decoded(bytes([0xBC, 0xBC]) * 2000)
