"""What a page says about its authors, printed for a person to judge (the dev set's hand check).

    .venv/bin/python -m bench.quality.author_evidence [--start N] [--count N] [--files a,b]

Per page: the author meta tags, JSON-LD authors, rel=author links, byline-classed elements,
short "By ..." lines anywhere, the text right under the headline, the pipeline's authors and
agency, and trafilatura's. Nothing here decides: the answers in data/authors.json were
written by reading this output (and the page where it was unclear).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import html as lxml_html
from lxml.etree import XPath
from lxml.html import HtmlElement

from bench.quality.run import CORPUS, _decode, pipeline_record

_META = XPath(
    "//meta[@name='author' or @property='article:author' or @name='article:author' or @name='byl'"
    " or @name='twitter:creator' or @name='DC.creator' or @name='dc.creator' or @name='parsely-author'"
    " or @name='sailthru.author' or @property='og:article:author' or @itemprop='author']"
)
_LD_AUTHOR = re.compile(r'"(?:author|creator)"\s*:\s*(\[[^\]]{0,600}\]|\{[^{}]{0,400}\}|"[^"]{0,120}")')
_BYLINE_ELEMENTS = XPath(
    "//*[contains(@class, 'byline') or contains(@class, 'author') or contains(@class, 'Author')"
    " or contains(@class, 'Byline') or contains(@id, 'author') or @rel='author'"
    " or contains(@itemprop, 'author')"
    " or contains(@class, 'writer') or contains(@class, 'autor')]"
)
_BY_LINE = re.compile(
    r"^\s*(?:by|von|por|par|door|przez|di|autor(?:in|a)?|author|auteur|text|texto|tekst|redaktion)\b[\s:]",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")


def _text(element: HtmlElement) -> str:
    if not isinstance(element.tag, str):  # comments, processing instructions
        return ""
    return _WS.sub(" ", element.text_content()).strip()


def evidence(html: str) -> dict[str, Any]:
    """The candidate author evidence of one page, short strings only."""
    tree = lxml_html.fromstring(html.encode("utf-8", "replace"))
    for junk in tree.iter("script", "style", "noscript"):
        if junk.tag == "script" and junk.get("type") == "application/ld+json":
            continue
        junk.text = ""
    meta = [
        f"{m.get('name') or m.get('property') or m.get('itemprop')}={m.get('content')}" for m in _META(tree)
    ]
    ld: list[str] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        ld.extend(_WS.sub(" ", match)[:200] for match in _LD_AUTHOR.findall(script.text or ""))
    marked: list[str] = []
    for element in _BYLINE_ELEMENTS(tree) if isinstance(_BYLINE_ELEMENTS(tree), list) else []:
        if isinstance(element, HtmlElement):
            text = _text(element)
            if 2 < len(text) < 140:
                marked.append(
                    f"<{element.tag} {(element.get('class') or element.get('id') or '')[:30]}> {text}"
                )
    lines = [line.strip() for line in tree.text_content().splitlines()]
    by_lines = [line[:140] for line in lines if _BY_LINE.match(line) and len(line) < 140]
    return {
        "meta": list(dict.fromkeys(meta))[:6],
        "jsonld": list(dict.fromkeys(ld))[:4],
        "marked": list(dict.fromkeys(marked))[:8],
        "by_lines": list(dict.fromkeys(by_lines))[:5],
        "under_title": _under_title(tree),
    }


def _under_title(tree: HtmlElement) -> str:
    """About 400 characters of text right after the first h1: where bylines are printed."""
    heading = next(tree.iter("h1"), None)
    if heading is None:
        return ""
    pieces: list[str] = []
    size = 0
    for element in heading.itersiblings():
        text = _text(element)
        if text:
            pieces.append(text[:200])
            size += len(text)
        if size > 400:
            break
    if not pieces and heading.getparent() is not None:
        for element in heading.getparent().itersiblings():
            text = _text(element)
            if text:
                pieces.append(text[:200])
                size += len(text)
            if size > 400:
                break
    return f"[{_text(heading)[:80]}] " + " | ".join(pieces)[:450]


def entries(start: int, count: int, files: Iterable[str] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(url, entry) of the eval set, in its order, or only the named files."""
    wanted = set(files)
    items = list(json.loads((CORPUS / "evaldata.json").read_text()).items())
    if wanted:
        yield from ((url, entry) for url, entry in items if entry["file"] in wanted)
    else:
        yield from items[start : start + count]


def main(argv: Iterable[str] | None = None) -> None:
    from trafilatura.metadata import extract_metadata

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--files", default="", help="comma-separated file names instead")
    args = parser.parse_args(list(argv) if argv is not None else None)
    files = [name for name in args.files.split(",") if name]
    for url, entry in entries(args.start, args.count, files):
        raw = gzip.decompress((CORPUS / "html" / f"{entry['file']}.gz").read_bytes())
        html = _decode(raw)
        found = evidence(html)
        record = pipeline_record(raw, "text/html", entry["file"])
        ours = (
            (record.authors, record.dateline.agency if record and record.dateline else None)
            if record
            else None
        )
        theirs = getattr(extract_metadata(html), "author", None)
        print(f"### {entry['file']}  {url}")
        for key, value in found.items():
            if value:
                print(f"  {key}: {value}")
        print(f"  PIPELINE: {ours}   TRAF: {theirs}")


if __name__ == "__main__":
    main()
