"""Within one document, a line said twice is said once: repeated headlines and blocks go.

Web-page dumps repeat the headline (page title, then the H1), teaser blocks, and whole menus
in header and footer. The first occurrence stays for the later stages to judge; every later
copy is removed. One dict pass: linear in the number of lines.
"""

from __future__ import annotations

from ingest_worker.pipeline.text.segment import REPEAT, UNSURE, Layout

#: Keys shorter than this ("1", "a") are too common to call a repeat.
MIN_KEY_CHARS = 2


def mark_repeats(layout: Layout) -> set[str]:
    """Marks later copies of a line; returns the keys that were repeated."""
    first_seen: dict[str, int] = {}
    repeated: set[str] = set()
    for line in layout.lines:
        key = line.key
        if len(key) < MIN_KEY_CHARS or line.kind != UNSURE:
            continue
        if key in first_seen:
            repeated.add(key)
            # a short repeat near the top is the headline said again (page title, then H1)
            headline = first_seen[key] < 15 and len(line.text.split()) <= 30 and not line.text.endswith(".")
            line.mark(REPEAT, "repeated_headline" if headline else "repeated_block")
        else:
            first_seen[key] = line.index
    return repeated
