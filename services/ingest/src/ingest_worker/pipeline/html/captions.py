"""Image captions and photo credits: out of the body, into ``doc.captions``.

trafilatura drops ``<figure>`` wholesale, so most captions never reach the body; we read
them from the markup (the article's own figures when the page marks an article) so the
record still has them. Captions that do leak into the body (a ``<p class="wp-caption-text">``,
a credit line under an image) are recognised by matching the markup captions or by the
shape of a credit line, and moved.
"""

from __future__ import annotations

import re
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

MAX_CAPTIONS = 30
MAX_CAPTION_CHARS = 500

# Attribute-axis queries: 3x cheaper than predicates on every element.
_CANDIDATES = XPath(".//figcaption | .//@class[contains(., 'caption') or contains(., 'credit')]/..")
_SCOPES = XPath(  # from the page's root: ``//`` would visit every text node too
    "descendant-or-self::article | descendant-or-self::main | descendant-or-self::*/@role[.='main']/.."
)
_MAIN_ROLE = XPath("descendant-or-self::*/@role[.='main']/..")
_CREDIT_CLASSES = ("photo-credit", "image-credit", "img-credit")
_SPACES = re.compile(r"\s+")
_CREDIT = re.compile(
    r"^\(?\s*(?:(?:photo|foto|fotos|bild|image|imagen|picture|credit|crédit|crédits photos?|créditos?"
    r"|quelle|fuente|source|zdjęcie|fot|titelbild|beitragsbild|illustration|grafik)\s*(?:credit)?\s*[:©]"
    r"|©|\(c\)\s)"
    r"|^(?:getty images|afp|reuters|dpa|ap photo|imago|shutterstock|istock|epa|picture alliance)"
    r"(?:\s*(?:/|via|\||$)|\s+images?$)",
    re.IGNORECASE,
)
_CREDIT_TAIL = re.compile(
    r"[(\[]\s*(?:photo|foto|bild|image|imagen|credit|crédit|fot)\s*[:/]\s*[^)\]]{1,80}[)\]]\s*$"
    r"|\b(?:photo|foto|bild|credit|crédit)\s*:\s*\S[^.!?]{0,60}$"
    r"|[.!?:]\s*©\s*[^©|]{2,80}$"
    r"|\s(?:/|\|)\s*(?:getty images|afp|reuters|dpa|ap photo|imago|shutterstock|istock|epa)\s*$",
    re.IGNORECASE,
)


# A box that asks for money, a sign-up or a subscription is an appeal, whatever its class says.
_APPEAL = re.compile(
    r"\b(?:donat(?:e|ion|ions)|spende[nt]?|jetzt spenden|unterstützen sie|support (?:us|our)|newsletter"
    r"|subscribe|abonnieren|abonnez|suscríbete|sign up|paypal|patreon|steady)\b",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Comparison key: case, spaces and edge punctuation do not make a different caption.

    ``str.split`` breaks at the characters ``\\s`` matches, so the words are those of
    ``_SPACES.sub(" ", text)`` without its edge spaces, which the strip removes anyway; a
    third of the regex's cost, and it runs on every block of every page.
    """
    return " ".join(text.split()).strip(" .,:;|-–—()[]\"'“”«»").casefold()


def scopes(tree: HtmlElement) -> list[Any]:
    """What ``_SCOPES`` finds: ``<article>`` and ``<main>`` elements and ``role="main"`` ones,
    in page order.

    Most pages have no ``role="main"``: then a tag walk in C gives the same list (``iter``
    also goes in page order) at a third of the three-way union's cost.
    """
    if _MAIN_ROLE(tree):
        found = _SCOPES(tree)
        return found if isinstance(found, list) else []
    return list(tree.iter("article", "main"))


def markup_captions(tree: HtmlElement) -> list[str]:
    """Caption texts of the article's figures, in page order, deduplicated."""
    found = scopes(tree)
    roots = found[:3] if found else [tree]
    captions: dict[str, str] = {}
    for position, root in enumerate(roots):
        if isinstance(root, HtmlElement) and _inside(root, roots[:position]):
            continue  # an <article> in a <main> already searched: its captions are all in
        found = _CANDIDATES(root)
        for element in found if isinstance(found, list) else []:
            if not isinstance(element, HtmlElement) or not _is_caption(element):
                continue
            text = _SPACES.sub(" ", element.text_content()).strip()
            if 3 <= len(text) <= MAX_CAPTION_CHARS and not _APPEAL.search(text):
                captions.setdefault(fold(text), text)
            if len(captions) >= MAX_CAPTIONS:
                return list(captions.values())
    return list(captions.values())


def _inside(element: HtmlElement, outer: list[object]) -> bool:
    """Whether an earlier scope holds this one (scopes come in page order, outer first)."""
    return bool(outer) and any(ancestor in outer for ancestor in element.iterancestors())


def _is_caption(element: HtmlElement) -> bool:
    """A figcaption, a caption-classed leaf block, or a photo-credit element."""
    if element.tag == "figcaption":
        return True
    classes = element.get("class", "")
    if any(name in classes for name in _CREDIT_CLASSES):
        return True
    return "caption" in classes and element.find(".//p") is None


def is_credit_line(line: str) -> bool:
    """A short line that is only a photo credit or a caption ending in one."""
    if len(line) > 300:
        return False
    return bool(_CREDIT.search(line)) or (len(line) <= 200 and bool(_CREDIT_TAIL.search(line)))
