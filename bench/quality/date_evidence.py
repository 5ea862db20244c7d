"""Prints each page's date evidence so a person can judge its publication day by hand.

    .venv/bin/python -m bench.quality.date_evidence [--sample N] [--seed S] [--files a.html,b.html]

Per page: the URL's date, date-ish meta tags, JSON-LD date keys, ``<time>`` elements,
elements whose class or id says date/time/posted/meta, and the date-like strings printed
near the headline and in the first part of the visible text. It shows no extractor's
answer on purpose: the dev set in ``data/dates.json`` was judged from this evidence (and
the page itself where it was unclear), not copied from htmldate or the pipeline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections.abc import Iterable

from lxml import html as lxml_html
from lxml.html import HtmlElement

from bench.quality.run import CORPUS, _decode

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/_-]?(\d{1,2})?[/_-]?(\d{1,2})?(?:/|[_-]|$)")
_DATEISH = re.compile(
    r"(?:\b\d{1,2}[./]\s?\d{1,2}[./]\s?(?:19|20)?\d{2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}\.?\s+[A-Za-zäéûóíúñç]{3,10}\.?,?\s+(?:19|20)\d{2}\b"
    r"|\b[A-Za-zäéûóíúñç]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}\b"
    r"|\b\d{1,2}\.?\s+[A-Za-zäéûóíúñç]{3,10}\b)"
)
_META_KEY = re.compile(r"date|time|publi|modif|created|issued|updated", re.I)
_LD_KEY = re.compile(r'"(date\w*|uploadDate|datetime)"\s*:\s*"([^"]{4,40})"')
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_CLASSY = re.compile(r"date|time|posted|publi|byline|meta|datum|fecha|data", re.I)


def evidence(tree: HtmlElement, url: str) -> list[str]:
    out: list[str] = []
    url_date = _URL_DATE.search(url)
    out.append(f"  url-date: {url_date.group(0) if url_date else '-'}")
    for meta in tree.iter("meta"):
        key = " ".join(filter(None, (meta.get("name"), meta.get("property"), meta.get("itemprop"))))
        if key and _META_KEY.search(key) and meta.get("content"):
            out.append(f"  meta {key} = {meta.get('content', '')[:60]}")
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        for key, value in _LD_KEY.findall(script.text or ""):
            out.append(f"  ld {key} = {value}")
    for time in list(tree.iter("time"))[:6]:
        text = " ".join(" ".join(time.itertext()).split())[:60]
        attrs = {k: v for k, v in time.attrib.items() if k in ("datetime", "pubdate", "itemprop", "class")}
        out.append(f"  <time {attrs}> {text}")
    for element in tree.iter("*"):
        prop = element.get("itemprop")
        if prop in ("datePublished", "dateCreated", "dateModified") and element.tag != "meta":
            shown = element.text_content()[:50]
            out.append(f"  itemprop {prop} {element.get('content') or ''} {shown!r}")
    classy = 0
    for element in tree.iter("span", "div", "p", "li", "small", "abbr", "dd", "em"):
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if not _CLASSY.search(marker):
            continue
        text = " ".join(element.text_content().split())
        if 4 <= len(text) <= 90 and re.search(r"\d", text):
            out.append(f"  .{marker.strip()[:40]}: {text}")
            classy += 1
            if classy >= 6:
                break
    body = tree.find(".//body")
    h1 = tree.find(".//h1")
    if h1 is not None:
        out.append(f"  h1: {' '.join(h1.text_content().split())[:90]}")
    text = " ".join((body if body is not None else tree).text_content().split())
    if h1 is not None:
        title = " ".join(h1.text_content().split())[:40]
        at = text.find(title) if title else -1
        if at >= 0:
            near = text[max(0, at - 300) : at + 600]
            out.append(f"  near-h1 dates: {_DATEISH.findall(near)[:8]}")
    out.append(f"  top dates: {_DATEISH.findall(text[:6000])[:10]}")
    years = sorted(set(_YEAR.findall(text)))[-8:]
    out.append(f"  all-text years: {years}")
    return out


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--files", default="", help="comma-separated file names instead of a sample")
    args = parser.parse_args(list(argv) if argv is not None else None)
    entries = json.loads((CORPUS / "evaldata.json").read_text())
    pages = [(url, entry["file"]) for url, entry in entries.items()]
    if args.files:
        wanted = set(args.files.split(","))
        chosen = [page for page in pages if page[1] in wanted]
    else:
        chosen = random.Random(args.seed).sample(pages, args.sample)
    for url, name in chosen:
        raw = gzip.decompress((CORPUS / "html" / f"{name}.gz").read_bytes())
        try:
            tree = lxml_html.fromstring(_decode(raw))
        except Exception as exc:
            print(f"== {name} {url}\n  unparsable: {exc}")
            continue
        print(f"== {name} {url}")
        print("\n".join(evidence(tree, url)))


if __name__ == "__main__":
    main()
