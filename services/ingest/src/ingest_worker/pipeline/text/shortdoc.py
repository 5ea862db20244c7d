"""Short documents: a wire brief, an earnings table, a list of results — or a cookie wall.

The line model learned from whole web pages, where the article is a long run of prose among
furniture. A ten-line upload has no such run, so the model's page-scale priors call every
line of a four-line earnings report a "short fragment". In a short document (and on any
page where the model keeps nothing) each line is therefore judged on what it carries:

- *content*: figures beside words (table rows, scores, prices: "Net 297 mln vs 325 mln"),
  whole sentences, paragraphs of several sentences, and lead-ins ending in a colon
  ("Results on Sunday:");
- *furniture*: lines with a furniture cue, menu words and menu separators, and what cookie
  walls, login forms and error pages say ("Forgot your password?", "Page not found"); a
  long paragraph is never furniture for its wording alone.

A document with no content line has no article text (a cookie wall, a bare navigation
page, a list of menu links) and is rejected; any other is stored with its figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest_worker.pipeline.text.cues import MENU_SEPARATORS, NAV_LINES
from ingest_worker.pipeline.text.dates import looks_like_date
from ingest_worker.pipeline.text.leads import Gated
from ingest_worker.pipeline.text.segment import SENTENCE_ENDS, Line

#: A document of at most this many lines and characters is short: judged line by line.
SHORT_DOC_LINES = 30
SHORT_DOC_CHARS = 3000
#: Lines at least this long are paragraphs, never a headline.
HEADLINE_CHARS = 70
#: A date line ("Published 12 March 2024, 10:30") has at most this many words: metadata.
DATE_LINE_WORDS = 6
#: A sentence has at least this many words ("Forgot your password?" does not qualify) ...
SENTENCE_WORDS = 4
#: ... or, in a script written without spaces, this many characters.
SENTENCE_CHARS = 12
#: A paragraph this long with two sentence breaks inside is prose, however it ends.
PROSE_CHARS = 100
#: Cookie, login and error-page wording and menu separators mark furniture up to this length.
FURNITURE_CHARS = 300

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]{2,}")
_CLOSING = "“”\"'»«„)"
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”»’)]?\s+(?=[^\W\d_])|[。！？।]")
# What pages that are not articles say: consent walls, sign-in forms, error and paywall pages.
# Run on case-folded text: IGNORECASE costs several times more per line.
_NOT_ARTICLE = Gated(
    re.compile(
        r"\bcookies?\b|\bconsent\b|\bprivacy\b|datenschutz|einwillig|consentement|consentimiento|\bconsenso\b"
        r"|password|passwort|contraseña|mot de passe|\bsenha\b|\bhasło\b"
        r"|\b(?:sign|log)(?:ged)? ?(?:in|out|up)\b|\baccount\b|\bkonto\b|\bregist(?:er|rieren|rarse|rati)\b"
        r"|not found|\b404\b|no longer (?:available|exists)|does(?: not|n't) exist"
        r"|(?:could not|couldn't) be found"
        r"|page you (?:are|were) looking for|nicht gefunden|no encontrad|introuvable|non trovat|não encontrad"
        r"|\bjavascript\b|your browser|\bsubscribe\b|subscribers? only|continue reading|\bpaywall\b"
    ),
    # what every match holds: most lines have none of it and skip the regex (~6x cheaper a line)
    pieces=(
        "cookie",
        "consen",
        "privacy",
        "datenschutz",
        "einwillig",
        "passw",
        "contraseña",
        "mot de passe",
        "senha",
        "hasło",
        "sign",
        "log",
        "account",
        "konto",
        "regist",
        "found",
        "404",
        "no longer",
        "exist",
        "looking for",
        "gefunden",
        "encontrad",
        "introuvable",
        "trovat",
        "javascript",
        "browser",
        "subscri",
        "continue reading",
        "paywall",
    ),
)


def is_short(lines: Sequence[Line]) -> bool:
    """Few lines and little text: too small for the page-scale model to judge."""
    return len(lines) <= SHORT_DOC_LINES and sum(len(line.text) for line in lines) <= SHORT_DOC_CHARS


def is_furniture(text: str, cue: str | None) -> bool:
    """A line that says what furniture it is, or what non-article pages say."""
    if cue is not None:
        return True
    scan = text[:400].casefold()
    if scan.strip(" .:;,!?|-–—•·*#>") in NAV_LINES:
        return True
    if len(text) > FURNITURE_CHARS:
        return False  # a long paragraph that mentions an account or a privacy law is prose
    if _NOT_ARTICLE.search(scan) is not None:
        return True
    return len(MENU_SEPARATORS.findall(scan)) >= 2 and not is_sentence(text)


def is_figure_row(text: str) -> bool:
    """Figures beside words: a table row, a score, a price; not a bare number or a date line."""
    if not _DIGIT.search(text) or not _WORD.search(text):
        return False
    return not (looks_like_date(text) and len(text.split()) <= DATE_LINE_WORDS)


def is_sentence(text: str) -> bool:
    """A whole sentence, or a lead-in to what follows ("Played on Saturday:")."""
    end = text.rstrip(_CLOSING)
    if end.endswith(":"):
        return len(text.split()) >= 2
    if not end.endswith(SENTENCE_ENDS):
        return False
    words = len(text.split())
    # scripts written without spaces (Chinese, Japanese) count characters instead
    return words >= SENTENCE_WORDS or (words < 3 and len(text) >= SENTENCE_CHARS)


def is_prose(text: str) -> bool:
    """Several sentences in one paragraph, however it ends ("... Äußert Vermutungen")."""
    return len(text) >= PROSE_CHARS and len(_SENTENCE_BREAK.findall(text[:1000])) >= 2


def is_content(text: str, cue: str | None) -> bool:
    return (is_figure_row(text) or is_sentence(text) or is_prose(text)) and not is_furniture(text, cue)


def has_article_text(texts: Sequence[str]) -> bool:
    """Whether any line of a short document is content (used by paths without the line model)."""
    return any(is_content(text, None) for text in texts)


def _join_table_rows(
    lines: Sequence[Line], cues: Sequence[str | None], model_keep: Sequence[bool], keep: list[bool]
) -> None:
    """Figure rows next to a kept line join, and so does the rest of their run: the whole table.

    A lead-in between rows ("Played on Saturday:") joins with the rows it introduces.
    """
    joined = [bool(kept) for kept in model_keep]
    n = len(lines)

    def join(i: int) -> None:
        joined[i] = True
        keep[i] = not is_furniture(lines[i].text, cues[i])

    for i in range(1, n):
        text = lines[i].text
        lead_in = text.rstrip(_CLOSING).endswith(":") and i + 1 < n and is_figure_row(lines[i + 1].text)
        if not joined[i] and joined[i - 1] and (is_figure_row(text) or lead_in):
            join(i)
    for i in range(n - 2, -1, -1):
        if not joined[i] and joined[i + 1] and is_figure_row(lines[i].text):
            join(i)


def judge_short(lines: Sequence[Line], cues: Sequence[str | None], model_keep: Sequence[bool]) -> list[bool]:
    """Which lines of a short document are article text; the headline above them is not.

    Where the model kept lines, they stay unless they are furniture, and figure rows next to
    them join (the rest of a table). Where it kept none, content lines are kept, and the
    first line, when it reads like a headline (short, no sentence end) and content follows,
    is left to the metadata stage as the title, together with any short unpunctuated lines
    (a byline, a kicker) between it and the first content line.
    """
    if any(model_keep):
        # the model found the article: only its furniture goes, and figure rows beside it join
        # (the rest of a table whose first row the model kept); other lines stay out
        keep = [
            bool(kept) and not is_furniture(line.text, cue)
            for line, cue, kept in zip(lines, cues, model_keep, strict=True)
        ]
        _join_table_rows(lines, cues, model_keep, keep)
        return keep
    keep = [is_content(line.text, cue) for line, cue in zip(lines, cues, strict=True)]
    if not any(keep):
        return keep
    last = max(i for i, kept in enumerate(keep) if kept)
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        text = line.text
        if len(text) >= HEADLINE_CHARS or is_sentence(text) or i == last:
            break
        if i > 0 and is_figure_row(text):
            break  # the table starts here: only the first line can be a headline with figures
        keep[i] = False
    return keep
