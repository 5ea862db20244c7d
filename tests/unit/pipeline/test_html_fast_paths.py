"""The HTML stage's cheaper paths give what the plain ones gave: same pieces, dates, tags, hits."""

from __future__ import annotations

import random
import re

import pytest
import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement, fromstring
from trafilatura.settings import Extractor

from ingest_worker.pipeline import decode, detect
from ingest_worker.pipeline.html import captions, dates, meta
from ingest_worker.pipeline.html.extract import _trafilatura, extractor_options
from ingest_worker.pipeline.html.guard import (
    _CONTROL,
    _LONG_TAG,
    _defuse_long_tags,
    _defuse_tag,
    _has_control,
    parse,
    sanitise,
)

# The expressions as they were before the fast paths (``//`` from the document root).
_OLD_MARKED = XPath(
    "//*[@itemprop='datePublished'][not(self::meta)] | //time[@pubdate]"
    " | //time[contains(@class, 'published')]"
    " | //*[contains(@class, 'entry-date') and contains(@class, 'published')]"
)
_OLD_BYLINE = XPath(
    "//@class[contains(., 'uthor') or contains(., 'yline') or contains(., 'writer')"
    " or contains(., 'posted-by') or contains(., 'submitted-by') or contains(., 'journalist-name')"
    " or .='username' or .='byl']/.."
    " | //@id[contains(., 'uthor')]/.. | //@rel[.='author']/.. | //@itemprop[contains(., 'author')]/.."
    " | //@data-testid[.='AuthorCard' or .='AuthorURL']/.. | //@data-component[contains(., 'Byline')]/.."
    " | //author"
)
_OLD_SCOPES = XPath("//article | //main | //@role[.='main']/..")


def _page(body: str, head: str = "") -> HtmlElement:
    tree: HtmlElement = fromstring(f"<html lang='de'><head>{head}</head><body>{body}</body></html>")
    return tree


def _eager_headline_index(tree: HtmlElement, title: str | None) -> int | None:
    """The headline search as it was: every piece of the page first, then key by key."""
    pieces = list(dates._text_pieces(tree.find(".//body")))
    for key in dates.headline_keys(tree, title):
        for index, piece in enumerate(pieces):
            if len(piece) >= 8 and (key.startswith(piece[:60]) or piece.startswith(key)):
                return index
    return None


def _lazy_headline_index(tree: HtmlElement, title: str | None) -> int | None:
    return dates._headline_index(tree, dates._Pieces(dates._text_pieces(tree.find(".//body"))), title)


_NAVIGATION = "".join(f"<li>Menu entry number {n}</li>" for n in range(700))


def test_printed_date_is_found_when_the_headline_is_far_down_the_page() -> None:
    tree = _page(
        f"<ul>{_NAVIGATION}</ul><h1>The story of the day</h1><p>Berlin, 3. März 2021</p><p>Text.</p>"
    )
    assert _lazy_headline_index(tree, None) == _eager_headline_index(tree, None) == 700
    assert dates.printed_date(tree, None, "de") == "2021-03-03"


def test_headline_search_prefers_the_title_even_when_an_h1_matches_first() -> None:
    body = f"<h1>Site name banner</h1><ul>{_NAVIGATION}</ul><p>The real headline</p><p>1. April 2020</p>"
    tree = _page(body)
    for title in ("The real headline | Site", "Site name banner", "Nowhere on the page", None):
        assert _lazy_headline_index(tree, title) == _eager_headline_index(tree, title)
    assert dates.printed_date(tree, "The real headline | Site", "de") == "2020-04-01"


def test_label_date_in_the_piece_after_the_last_scanned_one_is_still_read() -> None:
    filler = "".join(f"<p>x{n}</p>" for n in range(dates._LABEL_PIECES - 1))
    tree = _page(f"{filler}<p>Veröffentlicht am</p><p>12.05.2019</p>")
    assert dates.printed_date(tree, None, "de") == "2019-05-12"
    assert dates.printed_date(_page(f"{filler}<p>x</p><p>Veröffentlicht 12.05.2019</p>"), None, "de") is None


def test_declared_stamps_keep_their_rank_then_page_order() -> None:
    head = (
        '<meta name="date" content="2020-01-01">'
        '<meta name="pubdate" property="article:published_time" content="2021-02-02">'
        '<meta itemprop="datePublished" content="2019-03-03">'
        '<meta property="article:published_time" content="2018-04-04">'
    )
    tree = _page("<p>x</p>", head)
    expected = [element for path in dates._DECLARED_META for element in tree.iterfind(_as_path(path))]
    assert dates._declared_elements(tree) == expected
    assert dates.declared_timestamp(tree) == "2021-02-02"


def _as_path(entry: tuple[str, str]) -> str:
    return f".//meta[@{entry[0]}='{entry[1]}']"


def test_root_relative_xpaths_find_what_the_document_wide_ones_found() -> None:
    tree = _page(
        '<main><article><span class="byline author-name">Ann Smith</span><a rel="author">B</a>'
        '<div id="post-author">C</div><time pubdate>2020</time><time class="published">2021</time>'
        '<span itemprop="datePublished">2022</span><span class="entry-date published">2023</span>'
        '<figure><figcaption>A caption</figcaption></figure><p class="wp-caption-text">Two</p>'
        '<div data-component="Byline">D</div><author>E</author></article></main><div role="main">F</div>',
        '<meta itemprop="datePublished" content="2020-01-01">',
    )
    assert dates._MARKED(tree) == _OLD_MARKED(tree)
    assert len(meta._BYLINE_CANDIDATES(tree)) == 5
    assert meta._BYLINE_CANDIDATES(tree) == _OLD_BYLINE(tree)
    assert captions._SCOPES(tree) == _OLD_SCOPES(tree)


def test_long_tags_are_defused_exactly_as_the_whole_page_regex_did() -> None:
    flood = " ".join(f"a{n}=1" for n in range(1000))
    long_value = "x" * 5000
    pages = [
        f"<p>short</p><div {flood}>text</div><p>after</p>",
        f"<script>{long_value}</script><img src='{long_value}'><p>x</p>",
        f"<p>{long_value}</p><span {flood}",  # no closing ">": nothing to defuse
        f"<{flood}><div {flood}><a b=1 {long_value}>",
        "<p>plain</p>" * 1000,
        f"text {long_value}>tail<b {flood}>",
    ]
    for html in pages:
        assert _defuse_long_tags(html) == _LONG_TAG.sub(_defuse_tag, html)
    assert "<div>text</div>" in sanitise(pages[0])
    assert "<div>" in _defuse_long_tags(pages[3]) and long_value in _defuse_long_tags(pages[3])


def test_a_scope_inside_an_earlier_one_is_not_searched_twice_and_gives_the_same_captions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = "".join(f"<figure><figcaption>Caption number {n}</figcaption></figure>" for n in range(40))
    tree = _page(
        f"<main><p class='caption'>First</p><article>{figures}"
        "<p class='photo-credit'>Foto: A</p></article></main>"
        "<article><figcaption>Outside the main</figcaption></article>"
    )
    fast = captions.markup_captions(tree)
    monkeypatch.setattr(captions, "_inside", lambda element, outer: False)
    assert fast == captions.markup_captions(tree)
    assert fast[0] == "First" and len(fast) == captions.MAX_CAPTIONS
    small = _page("<main><article><figcaption>A</figcaption><figcaption>B c d</figcaption></article></main>")
    assert captions.markup_captions(small) == ["B c d"]


def test_control_characters_are_found_exactly_where_the_regex_finds_them() -> None:
    samples = [f"<p>{chr(code)}</p>" for code in range(0x80)]
    samples += ["<p>café “quoted” – 日本語 😀</p>", "<p>\ud800 surrogate</p>", "\x7f", ""]
    samples += ["a\ufffeb", "a\uffffb"]
    samples += [f"é{chr(code)}😀" for code in (0x00, 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x1F, 0x7F, 0x80, 0x9F)]
    for html in samples:
        assert _has_control(html) == bool(_CONTROL.search(html)), repr(html)
        assert sanitise(html) == _CONTROL.sub("", html), repr(html)


def test_controls_are_counted_as_the_character_class_counted_them() -> None:
    old_decode = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
    for code in range(0x100):
        text = f"Plain words {chr(code) * 40} and more words, é “ 日本 \ud800" * 3
        controls = len(old_decode.findall(text))
        assert decode._readable(text) == (controls < len(text) * 0.05), hex(code)
    for code in range(0x100):
        head = bytes([code]) * 50 + b"plain ascii text " * 20
        old = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
        assert detect._looks_binary(head) == (old > len(head) * 0.1), hex(code)


def test_blocks_are_the_same_without_trafilaturas_own_text_serialisation() -> None:
    paragraphs = "".join(f"<p>Paragraph {n} of the story, long enough to be kept.</p>" for n in range(12))
    lists = "<ul><li>one</li><li>two</li></ul>"
    html = f"<html><body><article><h2>Heading</h2>{paragraphs}{lists}</article></body></html>"
    blocks = _trafilatura(parse(html), None, recall=False)
    document = trafilatura.bare_extraction(parse(html), include_comments=False, with_metadata=False)
    assert document is not None and not isinstance(document, dict) and document.text is not None
    expected = [line.strip() for line in document.text.split("\n") if line.strip()]
    assert [block.text for block in blocks] == expected
    assert {block.tag for block in blocks} >= {"head", "p"}


def _split_defuse(html: str) -> str:
    """``_defuse_long_tags`` as it was: the page split at every ``>``, long pieces searched."""
    pieces = html.split(">")
    for index in range(len(pieces) - 1):
        if len(pieces[index]) > 4000:
            pieces[index] = _LONG_TAG.sub(_defuse_tag, pieces[index] + ">")[:-1]
    return ">".join(pieces)


@pytest.mark.parametrize("seed", range(4))
def test_long_tags_found_by_blocks_are_those_the_split_found(seed: int) -> None:
    # runs of exactly one and two blocks without a ">" and one character either side of
    # the limit, at every alignment the random prefixes give
    flood, short_flood = ("<div " + " ".join(f"a{n}={n}" for n in range(size)) + ">" for size in (700, 300))
    atoms = ["<p>", "</p>", ">", "x" * 97, "y" * 1999, "z" * 2000, "w" * 4000, "v" * 4001, "q" * 3999]
    atoms += [flood, flood[:-1], short_flood, short_flood[:-1], "<a" + "b" * 4100, "<", " = " * 50]
    rnd = random.Random(seed)
    changed = 0
    for _ in range(1500):
        html = "".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 12)))
        assert _defuse_long_tags(html) == _split_defuse(html)
        changed += _defuse_long_tags(html) != html
    assert changed > 100  # the floods were defused, not only the clean pages compared


def test_caption_scopes_by_tag_walk_are_the_xpath_union() -> None:
    pages = [
        _page("<p>no scope at all</p>"),
        _page("<main><article>a</article><article>b</article></main><article>c</article>"),
        _page("<div role='main'><article>a</article></div><main>b</main>"),
        _page("<article><div role='complementary'>x</div></article><div role='main '>y</div>"),
    ]
    for tree in pages:
        assert captions.scopes(tree) == captions._SCOPES(tree)
    assert captions.scopes(pages[0]) == [] and len(captions.scopes(pages[1])) == 4


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "A caption.",
        "  Photo:\u00a0Reuters  ",
        "\n(Foto: dpa)\t",
        "«Zitat»  –  X",
        "a\u2003b\u3000c\x1c",
        "— ",
        ". \u00a0 .",
        "Ünïcödé  CAPS\r\n",
        "\u200b zero width",
    ],
)
def test_fold_by_split_is_fold_by_regex(text: str) -> None:
    expected = captions._SPACES.sub(" ", text).strip(" .,:;|-–—()[]\"'“”«»").casefold()
    assert captions.fold(text) == expected


def test_prepared_trafilatura_options_are_those_bare_extraction_builds() -> None:
    for url in (None, "https://example.com/a/b?c=1", "https://example.com/\ud800"):
        for recall in (False, True):
            built = Extractor(
                output_format="txt", recall=recall, comments=False, tables=True, url=url, with_metadata=False
            )
            prepared = extractor_options(url, recall=recall)
            for name in Extractor.__slots__:
                assert getattr(prepared, name) == getattr(built, name), (name, url, recall)
    first, second = (
        extractor_options("https://a.example/", recall=False),
        extractor_options(None, recall=False),
    )
    assert first is not second and first.url == "https://a.example/" and second.url is None
