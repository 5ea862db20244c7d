"""Which lines are article and which are page furniture: a learned model over line features.

Hand-set jusText thresholds (length, stop-word density, neighbours' classes) stopped at
F1 0.81 on page dumps; the same evidence weighed by a model trained on a few hundred
annotated pages does better and generalises across languages because every feature is
language-free (``features``). The model (``model``) scores each line, rescans the scores in
context, and smooths them into contiguous runs. Each removed line keeps a reason for the
audit trail: the cue it carries, the source profile, or its shape (``short_fragment`` for
short lines, ``low_text_density`` otherwise), which the metadata stage reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ingest_worker.pipeline.text.features import (
    BASE_NAMES,
    TOKEN_CHARS,
    FloatArray,
    headline_index,
    line_features,
)
from ingest_worker.pipeline.text.leads import Gated, led
from ingest_worker.pipeline.text.model import LineModel, load_model
from ingest_worker.pipeline.text.segment import BODY, BOILERPLATE, SENTENCE_ENDS, UNSURE, Layout, Line
from ingest_worker.pipeline.text.shortdoc import is_short, judge_short
from ingest_worker.pipeline.text.stopwords import stoplist, stoplist_from_document, tokens_for_stoplist

#: Removed lines shorter than this are "short_fragment" (headline/caption candidates for metadata).
SHORT_CHARS = 70
#: A page the model keeps nothing of is judged line by line up to this many lines (``shortdoc``);
#: a longer one is a data dump or hostile, and line-by-line rules would only cost time.
JUDGE_LINES = 5000
#: Lines carrying a furniture cue are dropped whatever the model says (trees weigh rare cues lightly).
DROP_CUED = True
_COMMON = BASE_NAMES.index("source_common")
_LONG_PROSE = BASE_NAMES.index("long_prose")
_DENSITY = BASE_NAMES.index("stop_density")
_ADDRESS = BASE_NAMES.index("reader_address")
#: A closing sentence shorter than a paragraph right after kept text joins it (when it does not
#: address the reader, as "Subscribe now to our e-edition for the full story." does).
KEEP_CLOSING = True
#: ... and has at least this many words ("The army has yet to comment.").
CLOSING_WORDS = 4
#: What ends the header above the body: a sentence's end, or a lead-in's colon or comma.
_LEAD_IN = (*SENTENCE_ENDS, ":", ",", "：", "，")
_CLOSING_QUOTES = "“”\"'»«„"
#: Kept lines at most this long are checked for a caption's credit or a teaser's lead-in.
MARKED_CHARS = 300
#: A photo credit closing a line: "(REUTERS/Denis Balibouse)", "(Foto: Volkswagen)", "(Symbolbild)",
#: "Chloe Kim will es wissen. © AFP / KIRILL KUDRYAVTSEV".
_CREDIT_TAIL = re.compile(
    r"\((?:[^()]{0,40}\b(?:reuters|afp|dpa|epa|getty|imago|istock|shutterstock|adobe ?stock|picture alliance"
    r"|unsplash|pixabay|keystone|efe|ansa|xinhua|kyodo|anadolu|ap photo)\b[^()]{0,40}"
    r"|(?:foto|fotos|photo|bild|crédito|credit|quelle|imagen|immagine|zdjęcie|fot\.|symbolbild"
    r"|archivbild|archivfoto|symbolfoto|file photo|archive photo)\b[^()]{0,50}"
    r"|©[^()]{0,50})\)\.?$"
    r"|©[^©.!?]{1,60}$",
    re.IGNORECASE,
)
#: A comment's header: "Anne 21. Juni 2018 um 7:32 Uhr - Antworten", "kritik-1013 schreibt:", "Tom says:".
_COMMENT_HEAD = Gated(
    led(
        r"adeimnsw|·•\-",
        r"(\b(says|sagt|meint|schreibt|wrote|dice|escribió|a écrit|scrive|napisał|disse)\s*:"
        r"|[-|·•]\s*(reply|antworten|responder|répondre|rispondi|odpowiedz|responda))$",
        re.IGNORECASE,
    ),
    # every match ends the line: with the colon after a verb, or with the reply
    pieces=(":", "reply", "antworten", "responder", "pondre", "rispondi", "odpowiedz", "responda"),
    ends=True,
)
#: A newsletter prompt: "Sign up to get ...", or a line naming a newsletter that is no statement
#: ("Join our Newsletter for the latest news", "PC Gamer Newsletter", "Unser Newsletter!").
_SIGN_UP = re.compile(
    r"(sign up|subscribe|join our|melden sie sich|abonnieren sie|suscríbete|inscrivez-vous|abonnez-vous"
    r"|iscriviti)\b",
    re.IGNORECASE,
)
_NEWSLETTER = led("n", r"\bnewsletter\b", re.IGNORECASE)
#: Newsletter prompts at most this long are dropped.
PROMPT_CHARS = 160
#: A teaser or tag line's lead-in: "PUEDES VER: ...", "Lea también: ...", "Tags: ...", "Filed under ...".
_TEASER_LEAD = re.compile(
    r"(puedes ver|lea también|lee también|ver también|mira también|leia também|leggi anche|lire aussi"
    r"|lesen sie auch|read also|also read|see also|tags|tagged|schlagworte|stichworte|kategorien?|categories"
    r"|filed under|posted in)\s*:|(filed under|posted in)\b",
    re.IGNORECASE,
)
#: Whether kept lines with a caption's credit or a teaser's lead-in are dropped after the model.
DROP_MARKED = True
#: Whether kept short lines that say they are a site's notice (``_site_notices``) are dropped too.
DROP_NOTICES = True
#: A figure's caption by its lead-in: "Abbildung 3: ...", "Figure 2: ...", "Foto: ...", "Photograph by ...".
_CAPTION_LEAD = re.compile(
    r"(?:abbildung|abb\.|figure|fig\.|grafik|kuva|foto|fotos|photo|bild)\s*\d*\s*:\s"
    r"|(?:photograph|photo|foto|picture) by\b",
    re.IGNORECASE,
)
#: A credit closing a caption that ``_CREDIT_TAIL`` leaves: "(Bildquelle: dpa)", "/ (C) Kab Niang",
#: "- © jollier_ - stock.adobe.com" (a dot inside), "/domena publiczna".
_CREDIT_TAIL_MORE = re.compile(
    r"(?:\((?:bildquelle|bildnachweis|fotonachweis)\s*:[^()]*\)|/ ?\(c\)[^()]{1,40}|©[^©]{1,60}"
    r"|/domena publiczna)$",
    re.IGNORECASE,
)
#: A line naming where a table or a figure comes from: "Quelle: Landesregierung", "Source: Eurostat".
_SOURCE_NOTE = re.compile(r"(?:quelle|quellen|source|sources|fuente|źródło)\s*:\s", re.IGNORECASE)
#: A blog post's own record: "This entry was posted in ...", "Pingback: ...", "Posted by Ned at 5:11 AM".
_POST_META = Gated(
    led(
        "bdpt",
        r"this entry was posted|dieser eintrag wurde (?:am .{0,40})?veröffentlicht"
        r"|der beitrag wurde am .{0,60}veröffentlicht|\bpingback\b|\btrackback\b|bookmark the permalink"
        r"|permanentlink|posted by .{1,40} at \d",
        re.IGNORECASE,
    ),
    # every match holds one of these (one per alternative)
    pieces=(
        "this entry",
        "eintrag wurde",
        "beitrag wurde",
        "pingback",
        "trackback",
        "permalink",
        "permanentlink",
        "posted by",
    ),
)
#: An advertiser or affiliate disclosure: "We may receive compensation when you click ...",
#: "Für Links auf dieser Seite erhält CHIP ggf. eine Provision", "Dieser Artikel enthält Affiliate-Links"
#: (not "Passengers will receive compensation from the airline").
_DISCLOSURE = Gated(
    led(
        "aeprw",
        r"(?:receive|earn)s? (?:an? )?(?:small |affiliate )?(?:commission|compensation)s? "
        r"(?:when|if|for|from) (?:you|some|buying|links?|partners?)\b|erhält .{0,40}provision"
        r"|affiliate[- ]links?|advertising disclosure|references to products from"
        r"|\bpartnerlinks?\b|\bwerbelinks?\b",
        re.IGNORECASE,
    ),
    # every match holds one of these (one per alternative)
    pieces=(
        "commission",
        "compensation",
        "provision",
        "affiliate",
        "advertising disclosure",
        "references to products",
        "partnerlink",
        "werbelink",
    ),
)
#: The head of a comment section: "11 responses to “...”", "5 thoughts on ...", "0 Kommentare zu ...".
_RESPONSES_HEAD = re.compile(
    r"\d+\s+(?:responses?|comments?|thoughts|replies|kommentare?|antworten|réponses?|commentaires?"
    r"|comentarios?|commenti|komentarz\w*)\s+(?:to|on|zu|à|a|sur|en|su|do)\b",
    re.IGNORECASE,
)
#: A consent or login prompt: "Ich bin damit einverstanden, ...", "Diese Website verwendet Akismet ...",
#: "... müssen Sie eingeloggt sein", "Klicken Sie ..., um den Inhalt von www.komoot.de zu laden".
_CONSENT = Gated(
    led(
        "imuvw",
        r"^ich bin damit einverstanden|willige ich\b|verwendet akismet|uses akismet"
        r"|müssen sie (?:eingeloggt|angemeldet)|must be logged in|um den inhalt von .{1,60} zu laden",
        re.IGNORECASE,
    ),
    # every match holds one of these (one per alternative)
    pieces=("einverstanden", "willige ich", "akismet", "eingeloggt", "angemeldet", "logged in", "zu laden"),
)


def page_stoplist(lines: Sequence[Line], language: str | None) -> frozenset[str]:
    """The page language's function words, or the page's own most frequent short words."""
    stops = stoplist(language)
    if stops is not None:
        return stops
    return stoplist_from_document(tokens_for_stoplist(line.text[:TOKEN_CHARS] for line in lines))


def classify(
    layout: Layout,
    *,
    is_common: Callable[[Line], bool] | None = None,
    model: LineModel | None = None,
) -> None:
    """Marks every still-undecided line of ``layout`` as body or boilerplate."""
    lines = [line for line in layout.lines if line.kind == UNSURE]
    if not lines:
        return
    model = model or load_model()
    features, cues = line_features(
        lines,
        page_stoplist(lines, layout.language),
        repeated=layout.repeated,
        is_common=is_common,
        headline=headline_index(layout.lines),
    )
    keep = model.decide(features)
    marked: dict[int, str] = {}
    short = is_short(lines)
    if short:
        # a brief, a table of figures: too small for the model's page-scale priors (``shortdoc``)
        found = keep.any()
        keep = np.array(judge_short(lines, cues, keep.tolist()), dtype=bool)
    if not short or found:
        if not short and not _survives_header(keep, lines):
            # nothing reads like an article in context (a one-paragraph upload), or only header
            # lines above no body (a slogan, a headline): keep its long prose
            keep = features[:, _LONG_PROSE] > 0
            keep |= np.array(
                [len(line.text) >= SHORT_CHARS and line.text.endswith(SENTENCE_ENDS) for line in lines]
            )
        if not short and not keep.any() and len(lines) <= JUDGE_LINES:
            # still nothing: a long table or list of figures is judged line by line, as a short one
            keep = np.array(judge_short(lines, cues, keep.tolist()), dtype=bool)
        _prose_beside_body(keep, features, lines)
        _header_above_body(keep, lines)
        if DROP_MARKED and not short:
            marked = _marked_furniture(keep, lines)
            if DROP_NOTICES:
                marked.update(_site_notices(keep, lines))
    common_col = features[:, _COMMON] if is_common is not None else None
    if common_col is not None:
        # a line most of the source's pages carry is its furniture, whatever the page around it
        keep &= common_col == 0
    if DROP_CUED:
        # a short line that says what furniture it is ("Share on Facebook", "3 comments") is furniture
        keep &= np.fromiter((cue is None for cue in cues), dtype=bool, count=len(cues))
    for i, line in enumerate(lines):
        if keep[i]:
            line.mark(BODY, "")
            continue
        cue = cues[i]
        if cue is not None:
            reason = cue
        elif i in marked:
            reason = marked[i]
        elif common_col is not None and common_col[i]:
            reason = "source_repeat"
        else:
            reason = "short_fragment" if len(line.text) < SHORT_CHARS else "low_text_density"
        line.mark(BOILERPLATE, reason)


def _prose_beside_body(keep: npt.NDArray[np.bool_], features: FloatArray, lines: Sequence[Line]) -> None:
    """A whole prose sentence next to kept text is kept: the model's page-scale priors miss short texts.

    So is a lead-in ending in a colon between kept lines ("You will need:"): it introduces them,
    and a short closing sentence right after kept text ("The army has yet to comment."), unless
    it speaks to the reader (out-of-fold on the evaluation pages: 7 more article snippets found,
    5 more furniture snippets kept).
    """
    last = len(lines) - 1
    for i in range(len(lines)):
        if keep[i]:
            continue
        if 0 < i < last and keep[i - 1] and keep[i + 1] and lines[i].text.endswith(":"):
            keep[i] = True
            continue
        if KEEP_CLOSING and i > 0 and keep[i - 1] and _closing_sentence(lines[i].text, features[i]):
            keep[i] = True
            continue
        if features[i, _DENSITY] < 0.3 or len(lines[i].text) < 100:
            continue
        if not lines[i].text.endswith(SENTENCE_ENDS):
            continue
        if (i > 0 and keep[i - 1]) or (i + 1 < len(lines) and keep[i + 1]):
            keep[i] = True


def _closing_sentence(text: str, row: FloatArray) -> bool:
    """A short whole sentence that speaks neither to the reader nor for the site."""
    return (
        len(text) < 100
        and text.endswith(SENTENCE_ENDS)
        and len(text.split()) >= CLOSING_WORDS
        and row[_DENSITY] >= 0.3
        and row[_ADDRESS] == 0
    )


def _survives_header(keep: npt.NDArray[np.bool_], lines: Sequence[Line]) -> bool:
    """Whether any kept line is left once the header above the body has gone to the metadata."""
    if not keep.any():
        return False
    probe = keep.copy()
    _header_above_body(probe, lines)
    return bool(probe.any())


def _header_above_body(keep: npt.NDArray[np.bool_], lines: Sequence[Line]) -> None:
    """Short unpunctuated lines before the first paragraph are the header (headline, byline, date).

    They go to the metadata stage, which reads title, byline and date from above the body. A
    line ending in a colon or comma ("Dear readers,", "The court's guidance:") leads into the
    text, so the body starts there; closing quotes do not hide a sentence's end.
    """
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        if len(line.text) >= SHORT_CHARS or line.text.rstrip(_CLOSING_QUOTES).endswith(_LEAD_IN):
            return
        keep[i] = False


def _marked_furniture(keep: npt.NDArray[np.bool_], lines: Sequence[Line]) -> dict[int, str]:
    """Drops kept short lines that say what furniture they are; returns their reasons by index.

    Captions ending in a photo credit, "Read also:" teasers, tag lines, comment headers and
    newsletter prompts sit among body lines, so the model's context features vouch for them;
    what they say of themselves is the better evidence. Out-of-fold on two fifths of the
    evaluation pages, 34 of the 36 credit, teaser and comment lines the model kept were
    labelled furniture (CV figures: bench/RESULTS.md).
    """
    return _drop_marked(keep, lines, _furniture_reason)


def _furniture_reason(text: str) -> str | None:
    if _CREDIT_TAIL.search(text):
        return "photo_credit"
    if _TEASER_LEAD.match(text):
        return "teaser"
    if _COMMENT_HEAD.search(text):
        return "comment_header"
    if len(text) <= PROMPT_CHARS and (
        _SIGN_UP.match(text) or (_NEWSLETTER.search(text) and not text.endswith("."))
    ):
        return "newsletter"
    return None


def _site_notices(keep: npt.NDArray[np.bool_], lines: Sequence[Line]) -> dict[int, str]:
    """Drops kept short lines that say they are the site's, not the story's; returns their reasons.

    A figure's caption ("Abbildung 3: ..."), a source note ("Quelle: ..."), a blog post's own
    record ("This entry was posted in ...", pingbacks), an advertiser disclosure, a comment
    section's head ("11 responses to ...") and consent or login prompts read like the prose
    around them, so the model keeps some; their wording is the better evidence. Out-of-fold on
    the evaluation pages they were 24 kept furniture snippets and no article snippet
    (bench/RESULTS.md). Captions go to the metadata stage as photo credits do.
    """
    return _drop_marked(keep, lines, _notice_reason)


def _notice_reason(text: str) -> str | None:
    if _CAPTION_LEAD.match(text) or _CREDIT_TAIL_MORE.search(text):
        return "photo_credit"
    if _SOURCE_NOTE.match(text):
        return "source_note"
    if _POST_META.search(text):
        return "post_meta"
    if _DISCLOSURE.search(text):
        return "disclosure"
    if _RESPONSES_HEAD.match(text) and not text.endswith("."):
        return "comment_header"
    if _CONSENT.search(text):
        return "consent_prompt"
    return None


def _drop_marked(
    keep: npt.NDArray[np.bool_], lines: Sequence[Line], reason_of: Callable[[str], str | None]
) -> dict[int, str]:
    """Drops each kept line of at most ``MARKED_CHARS`` that ``reason_of`` names; their reasons by index."""
    marked: dict[int, str] = {}
    for i, line in enumerate(lines):
        if not keep[i] or len(line.text) > MARKED_CHARS:
            continue
        reason = reason_of(line.text.rstrip())
        if reason is not None:
            marked[i] = reason
            keep[i] = False
    return marked
