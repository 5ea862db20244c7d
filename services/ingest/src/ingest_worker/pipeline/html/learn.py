"""Per-source furniture for HTML: short lines that recur across one site's pages.

The same statistics service as the plain-text path (``profiles``: CCNet's idea, counts in
Redis shared by all workers), under its own ``html:`` namespace because an extractor's
output lines are not a whole-page dump's lines. A site's recurring "Photo: Reuters",
"Related topics" or sign-off survives trafilatura and our cue rules only until the site has
been seen often enough; from then on it is removed with the reason "recurs on this source".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from trafilatura.metadata import extract_url

from ingest_worker.pipeline.base import Article
from ingest_worker.pipeline.profiles import (
    MAX_LINE_CHARS,
    ProfileVisit,
    SourceProfiles,
    Thresholds,
)
from ingest_worker.pipeline.text.segment import fold

THRESHOLDS = Thresholds()
_SOURCE_CHARS = re.compile(r"[^\w.-]+")


def source_key(doc: Article, tree: HtmlElement) -> str | None:
    """Whose pages these are: the uploader's source name, else the page's (canonical) host."""
    if doc.source_name:
        return "html:name:" + _SOURCE_CHARS.sub("-", doc.source_name.casefold().strip())[:100]
    url = doc.source_url or extract_url(tree)
    host = urlsplit(url).hostname if url else None
    if not host:
        return None
    return "html:host:" + host.removeprefix("www.")


def common_lines(
    profiles: SourceProfiles, source: str, lines: Sequence[str], candidates: Sequence[int]
) -> set[int]:
    """Indexes (among ``candidates``) of lines this source has shown on many earlier pages.

    Every short line of the page is counted after the lookup (one visit), so the page teaches
    the next one and never itself.
    """
    keys = {index: fold(text) for index, text in enumerate(lines) if len(text) <= MAX_LINE_CHARS}
    visit, hashes = ProfileVisit.of_page(source, keys, "\n".join(lines))
    (answer,) = profiles.visit_many([visit])
    common = THRESHOLDS.repeated(hashes, answer) or frozenset()
    return {index for index in candidates if index in common}
