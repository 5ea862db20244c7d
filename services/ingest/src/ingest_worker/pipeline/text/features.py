"""Language-independent line features for the learned body/boilerplate model.

Each line gets a row of cheap, script-agnostic measurements (length, function-word density,
punctuation, letters, digits, case, cue-list hits, repetition, position), and the rows are
then widened with the same measurements averaged over the neighbouring lines, because on a
page dump "is this the article?" is mostly a question about the region a line sits in.
Costs are paid per page, not per line, wherever possible: character classes come from one
lookup of every code point in a table, the rare-match patterns (links, photo credits, menu
separators) run once over the page's lines joined, and the context part is a handful of
numpy operations; every line's words come from one pass over the page. The one Python loop
left counts each line's function words and looks its cue up.

Prose that is not the article (an advertiser disclosure, comment rules, an author's bio,
another story's teaser) reads like the article; what gives it away is whom it addresses
("you", "our", "Sie", "vous"), what it talks about (subscriptions, clicks, the site by name)
and that its words are not the article's: the share of a line's topic words the page's other
prose lines use, and the share the page title uses.

Where a line stands on the page says the rest: prose lines a few lines apart form runs, and
the run with the most prose is the main one, the article's body on most pages. A line's run
(its share of the page's prose, its rank), its distance to the main run in lines and in
characters, the share of its words the main run uses (a teaser for another story shares few),
the lines since a section heading ("Related", "About the author", "Mehr zum Thema") and a
bio's wording ("is a reporter", "writes about", "ist Redakteurin") are cheap to measure.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter

import numpy as np
import numpy.typing as npt

from ingest_worker.pipeline.text.cues import (
    CUE_PATTERN_TRIGGERS,
    CUE_TRIGGERS,
    CUES,
    MENU_SEPARATORS,
    NAV_LINES,
    PHOTO_CREDIT,
    PHOTO_CREDIT_WORDS,
)
from ingest_worker.pipeline.text.dates import MAX_DATE_LINE, looks_like_date
from ingest_worker.pipeline.text.leads import by_first_letter, led
from ingest_worker.pipeline.text.segment import SCAN_CHARS, SENTENCE_ENDS, Line
from ingest_worker.pipeline.text.stopwords import universal_stoplist
from ingest_worker.pipeline.words import code_points, words_by_line

FloatArray = npt.NDArray[np.float64]

#: Only this much of a line is tokenised: density over 3000 characters is density enough.
TOKEN_CHARS = 3000
_TOKEN = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LINKISH = re.compile(r"https?:|www\.|@|\.(?:com|org|net|de|fr|uk)\b", re.IGNORECASE)
#: _LINKISH for text put through ``str.lower`` (when that keeps every offset): the same matches
#: three times faster; "ſ" is the one character IGNORECASE adds to these letters that lower() keeps.
_LINKISH_LOWER = re.compile(r"http[sſ]?:|www\.|@|\.(?:com|org|net|de|fr|uk)\b")
#: Line-end and line-start classes as sets of single characters: one lookup per line. The
#: model was trained on sentence ends without the danda, so its feature leaves it out.
_FULL_STOP_CHARS = frozenset(SENTENCE_ENDS) - {"।", "॥"}
_PREFIX = itemgetter(slice(0, 4))  # a token's 4-letter prefix, as the cue and credit lists key them
#: PHOTO_CREDIT without IGNORECASE, for lower-cased text: several times cheaper per line.
_PHOTO_CREDIT_LOWER = re.compile(PHOTO_CREDIT.pattern)
_OTHER_END = tuple(':;"”»)')
_BULLET = tuple("•·*-–—>»|►▶■□●○◦")
_OTHER_END_CHARS = frozenset(_OTHER_END)
#: Words that speak to the reader or for the site ("you", "our", "unser", "vous", "nuestro"):
#: promotions, disclaimers, comment rules and author notes talk this way, reports mostly do not.
_ADDRESS = """
    you your yours yourself we our ours us
    du dich dir dein deine deinen deinem deiner deines euch euer eure euren eurem eurer wir uns unser unsere
    unseren unserem unserer unseres
    vous votre vos nous notre nos tu toi ton ta tes
    usted ustedes nosotros nosotras nuestro nuestra nuestros nuestras vosotros vuestro vuestra tú
    voi vostro vostra vostri vostre noi nostro nostra nostri nostre
    você vocês nosso nossa nossos nossas
    ty twój twoja twoje wy wasz wasza nasz nasza nasze naszych naszym
    jij jouw uw wij onze
"""
ADDRESS_WORDS = frozenset(_ADDRESS.split())
#: The German formal "you" ("Klicken Sie", "Ihre Daten"): capitalised after a lower-case word or comma.
#: (The lookahead lets re skip in C to "Sie"/"Ih" before it tries the lookbehind.)
_FORMAL_YOU = re.compile(r"(?=Sie|Ih)(?<=[a-zäöüß,] )(?:Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
#: Words of promotions, subscriptions, site notices and legal small print (lower case, from a word's start).
PROMO_WORDS = (
    r"\b(?:subscri|newsletter|abonn|click|klick|regist|sign up|donat|spende|support|unterstütz|advertis"
    r"|werbe|sponsor|affiliate|compensation|disclaimer|haftung|copyright|rights reserved|cookie|datenschutz"
    r"|privacy|e-?mail|inbox|download|podcast|comment|kommentar|leserbrief|editor|redaktion|paywall|abo\b"
    r"|shop|gutschein|kostenlos|gratis|free\b|exklusiv|app\b|website|webseite|site\b|blog|artikel|article"
    r"|beitrag|posts?\b|suscri|inscri|iscriv|assin|zapisz|prenumer|wesprzyj|compartir|partager|teilen"
    r"|share|follow|folge|seguir|suivez)"
)


#: PROMO_WORDS with its words grouped by first letter (``leads.by_first_letter``): the same
#: matches, a third faster than behind a lookahead (its alternatives hold no ``|`` of their own).
_PROMO = re.compile(r"\b(?:" + by_first_letter(PROMO_WORDS[len(r"\b(?:") : -1].split("|")) + ")")
#: What separates an article's title from the site's name in a page title ("Title | Site").
_TITLE_SEPARATOR = re.compile(r"\s[|\-–—·»:]{1,2}\s")
_BULLET_CHARS = frozenset(_BULLET)

#: Cue reasons, in feature order ("navigation" covers whole-line menu words too).
CUE_REASONS: tuple[str, ...] = ("navigation", *dict.fromkeys(reason for reason, _ in CUES))
_CUE_INDEX = {reason: i for i, reason in enumerate(CUE_REASONS)}

#: Where a line stands to the page's runs of prose (consecutive prose lines, short gaps allowed),
#: above all to the main run (the one with the most prose), and whose words it shares.
RUN_NAMES: tuple[str, ...] = (
    "run_share",
    "run_rank",
    "in_main_run",
    "main_run_lines",
    "main_run_chars",
    "after_main_run",
    "main_overlap",
    "run_main_overlap",
    "since_section_head",
    "bio_cue",
    "before_headline",
)
BASE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "stop_density",
    "universal_density",
    "ends_full_stop",
    "ends_other",
    "starts_upper",
    "starts_digit_or_bullet",
    "non_letter_share",
    "digit_share",
    "upper_share",
    "capitalised_words",
    "punct_per_word",
    "menu_separators",
    "date_like",
    "linkish",
    "photo_credit",
    "repeated",
    "source_common",
    "first_in_block",
    "last_in_block",
    "position",
    "mean_word_len",
    "long_prose",
    "short",
    "after_headline",
    "since_headline",
    "chars_before",
    "block_lines",
    "reader_address",
    "promo_words",
    "names_site",
    "topic_overlap",
    "title_overlap",
    *RUN_NAMES,
    *(f"cue_{reason}" for reason in CUE_REASONS),
)
_N_BASE = len(BASE_NAMES)
_RUN = BASE_NAMES.index(RUN_NAMES[0])
_CUE_BASE = BASE_NAMES.index("cue_navigation")
#: Base columns whose neighbourhood averages are context features.
CONTEXT_COLUMNS: tuple[str, ...] = (
    "log_chars",
    "stop_density",
    "universal_density",
    "ends_full_stop",
    "non_letter_share",
    "capitalised_words",
    "long_prose",
    "short",
    "linkish",
    "menu_separators",
    "reader_address",
    "promo_words",
    "topic_overlap",
)
_CONTEXT_IDX = [BASE_NAMES.index(name) for name in CONTEXT_COLUMNS]
#: (name, lines before, lines after) of each averaging window; the line itself is left out.
WINDOWS: tuple[tuple[str, int, int], ...] = (
    ("prev1", 1, 0),
    ("next1", 0, 1),
    ("prev3", 3, 0),
    ("next3", 0, 3),
    ("around8", 8, 8),
    ("around20", 20, 20),
)
_WINDOW_BEFORE = np.array([before for _, before, _ in WINDOWS], dtype=np.intp)
_WINDOW_AFTER = np.array([after for _, _, after in WINDOWS], dtype=np.intp)
REGION_NAMES: tuple[str, ...] = (
    "region_mass",
    "region_distance",
    "before_region",
    "after_region",
    "page_lines",
    "prose_gap_before",
    "prose_gap_after",
    "list_run",
    "list_bounded",
)
FEATURE_NAMES: tuple[str, ...] = (
    *BASE_NAMES,
    *(f"{col}@{win}" for win, _, _ in WINDOWS for col in CONTEXT_COLUMNS),
    *REGION_NAMES,
)


def cue_of(line: Line, tokens: list[str]) -> str | None:
    """The furniture cue a line carries, if it is short enough for cues to be trusted."""
    return _cue(line.key, line.scan, len(tokens), list(map(_PREFIX, tokens[:40])))


def _cue(key: str, scan: str, words: int, prefixes: list[str]) -> str | None:
    """``cue_of`` on parts the caller already has (``prefixes``: 4-letter prefixes of the first 40 tokens)."""
    if key in NAV_LINES:
        return "navigation"
    if words > 25:
        return None
    forced = "©" in scan or "(c)" in scan  # symbols, not words: every cue may apply
    hits = CUE_TRIGGERS.intersection(prefixes)
    if not (forced or hits):
        return None
    lowered = scan.lower()  # the cue patterns are lower case and compiled without IGNORECASE
    for (reason, pattern), triggers in zip(CUES, CUE_PATTERN_TRIGGERS, strict=True):
        if not forced and triggers.isdisjoint(hits):
            continue  # none of this cue's keywords is on the line
        if pattern.match(lowered) if words > 12 else pattern.search(lowered):
            return reason
    return None


#: ``_word_kinds`` packs a word's three memberships into one int: a line's sum of them holds
#: its function words, universal function words and words of address, 21 bits each (a line
#: has at most TOKEN_CHARS // 2 words).
_UNIVERSAL_SHIFT, _ADDRESS_SHIFT = 21, 42
_KIND_MASK = (1 << _UNIVERSAL_SHIFT) - 1


@lru_cache(maxsize=16)
def _word_kinds(stops: frozenset[str]) -> dict[str, int]:
    """Per word in any of the lists: 1 if in ``stops``, plus 1 << 21 if a universal function word,
    plus 1 << 42 if it addresses the reader. One dictionary pass per line instead of three set passes."""
    kinds: dict[str, int] = dict.fromkeys(universal_stoplist(), 1 << _UNIVERSAL_SHIFT)
    for word in ADDRESS_WORDS:
        kinds[word] = kinds.get(word, 0) + (1 << _ADDRESS_SHIFT)
    for word in stops:
        kinds[word] = kinds.get(word, 0) + 1
    return kinds


def base_features(
    lines: Sequence[Line],
    stops: frozenset[str],
    *,
    repeated: set[str] | frozenset[str] = frozenset(),
    is_common: Callable[[Line], bool] | None = None,
    headline: int | None = None,
) -> tuple[FloatArray, list[str | None]]:
    """One row of context-free measurements per line, and the cue each line carries.

    ``headline`` is the layout index of the line that repeats the page title (the H1 of a
    saved web page): the article starts right after it on most pages. Character classes
    are counted for the whole page at once (code points through a lookup table) and the
    rare-match patterns run once over the joined page, and the words of every line come from
    one pass over the page (``words_by_line``), so the per-line Python loop only counts
    function words and builds token prefixes for the short lines that cues and credits need.
    """
    n = len(lines)
    texts = [line.text for line in lines]
    heads = [text[:TOKEN_CHARS] for text in texts]
    scans = [text[:SCAN_CHARS] for text in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.float64, count=n)
    chars = np.minimum(lengths, TOKEN_CHARS)
    cjk = _is_cjk(lines)
    kind_of = _word_kinds(stops).get
    credit_free = PHOTO_CREDIT_WORDS.isdisjoint
    words = np.zeros(n)
    density = np.zeros(n)
    universal_density = np.zeros(n)
    address = np.zeros(n)
    content: list[frozenset[str]] = [frozenset()] * n
    cues: list[str | None] = [None] * n
    credit_idx: list[int] = []
    # a cue needs a trigger word, a whole-line menu word or a copyright sign; most lines have none
    any_forced = any("©" in scan or "(c)" in scan for scan in scans)
    tokenised = words_by_line([head.casefold() for head in heads])  # _TOKEN.findall per line, at once
    for i, (text, tokens) in enumerate(zip(texts, tokenised, strict=True)):
        count = len(tokens)
        if count:
            words[i] = count
            if not cjk:  # the three word counts of the line in one packed sum
                kinds = sum(filter(None, map(kind_of, tokens)))
                density[i] = (kinds & _KIND_MASK) / count
                universal_density[i] = ((kinds >> _UNIVERSAL_SHIFT) & _KIND_MASK) / count
                address[i] = kinds >> _ADDRESS_SHIFT
            content[i] = frozenset(t for t in tokens if len(t) >= TOPIC_WORD and t not in stops)
        key = lines[i].key
        if key in NAV_LINES:
            cues[i] = "navigation"
        short = len(text) <= 300
        if count <= 25 or short:
            prefixes = list(map(_PREFIX, tokens))
            if short and not credit_free(prefixes):
                credit_idx.append(i)
            if cues[i] is None and count <= 25 and (any_forced or not CUE_TRIGGERS.isdisjoint(prefixes)):
                cues[i] = _cue(key, scans[i], count, prefixes)
    lasts = [t[-1] for t in texts]
    ends_full = np.fromiter(map(_FULL_STOP_CHARS.__contains__, lasts), dtype=np.float64, count=n)
    if cjk:  # no spaces: characters carry what words carry elsewhere, commas mark prose
        prose = (ends_full > 0) | np.fromiter(("，" in h or "、" in h for h in heads), dtype=bool, count=n)
        density = universal_density = np.where(prose, 0.32, 0.0)
    effective = chars * 3 if cjk else chars
    letters, digits, upper, capitals, pauses, astral = _char_counts(heads)
    safe_words = np.maximum(words, 1.0)
    rows = np.zeros((n, _N_BASE))
    rows[:, 0] = np.log1p(effective)
    rows[:, 1] = np.log1p(words)
    rows[:, 2] = density
    rows[:, 3] = universal_density
    rows[:, 4] = ends_full
    rows[:, 5] = np.fromiter(map(_OTHER_END_CHARS.__contains__, lasts), dtype=bool, count=n)
    firsts = [t[0] for t in texts]
    rows[:, 6] = np.fromiter(map(str.isupper, firsts), dtype=bool, count=n)
    rows[:, 7] = np.fromiter(map(str.isdigit, firsts), dtype=bool, count=n) | np.fromiter(
        map(_BULLET_CHARS.__contains__, firsts), dtype=bool, count=n
    )
    rows[:, 8] = 1.0 - letters / np.maximum(chars, 1.0)
    rows[:, 9] = digits / np.maximum(chars, 1.0)
    rows[:, 10] = upper / np.maximum(letters, 1.0)
    rows[:, 11] = np.where(words > 0, capitals / safe_words, 0.0)
    rows[:, 12] = pauses / (words + 1)
    # a date line has a decimal digit (the table's, or one beyond the BMP the table cannot see)
    dated = (lengths <= MAX_DATE_LINE) & ((digits > 0) | astral)
    date_idx = np.flatnonzero(dated).tolist()
    rows[date_idx, 14] = [looks_like_date(texts[i]) for i in date_idx]
    menu_idx = np.flatnonzero(words <= 20)
    rows[menu_idx, 13] = np.minimum(_match_counts(MENU_SEPARATORS, scans, menu_idx), 5) / 5
    rows[:, 15] = _linkish_counts(scans) > 0
    credit = np.asarray(credit_idx, dtype=np.intp)
    rows[credit, 16] = _match_counts(_PHOTO_CREDIT_LOWER, scans, credit, lower=True) > 0
    rows[:, 17] = [line.key in repeated for line in lines]
    if is_common is not None:
        rows[:, 18] = [is_common(line) for line in lines]
    rows[:, 19] = [line.first_in_block for line in lines]
    rows[:, 20] = [line.last_in_block for line in lines]
    rows[:, 21] = np.arange(n) / max(n, 1)
    rows[:, 22] = np.where(words > 0, np.minimum(letters / safe_words, 20.0) / 10, 0.0)
    rows[:, 23] = (effective >= 200) & (density >= 0.25)
    rows[:, 24] = effective < 40
    before_headline: FloatArray | None = None
    if headline is not None:
        index = np.fromiter((line.index for line in lines), dtype=np.float64, count=n)
        before_headline = (index < headline).astype(np.float64)
        after = index > headline
        rows[:, 25] = after
        rows[:, 26] = np.where(after, np.log1p(np.maximum(index - headline, 0.0)) / 5, 0.0)
    total = float(lengths.sum()) or 1.0
    rows[:, 27] = (np.cumsum(lengths) - lengths) / total
    if n:
        rows[:, 28] = np.log1p(_block_sizes(lines)) / 3
        rows[:, 29] = (address + _formal_you_counts(scans)) / safe_words
        rows[:, 30] = np.minimum(_match_counts(_PROMO, scans, np.arange(n), lower=True), 5) / 5
        rows[:, 31] = _names_site(lines)
        prose = (effective >= 100) & (density >= 0.2)
        runs = _prose_runs(prose, lengths)
        rows[:, 32], rows[:, 33], main_overlap = _topic_overlap(lines, content, prose, runs[0] == runs[4])
        rows[:, _RUN : _RUN + len(RUN_NAMES)] = _run_features(
            runs,
            prose=prose,
            lengths=lengths,
            main_overlap=main_overlap,
            scans=scans,
            headline_at=before_headline,
        )
    for i, cue in enumerate(cues):
        if cue is not None:
            rows[i, _CUE_BASE + _CUE_INDEX[cue]] = 1.0
    return rows, cues


#: Words at least this long (and not function words) carry a page's topic.
TOPIC_WORD = 4


def _topic_overlap(
    lines: Sequence[Line],
    content: list[frozenset[str]],
    prose: npt.NDArray[np.bool_],
    main: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per line, the share of its topic words the page's other prose lines use, the title's share,
    and the share the main run's other prose lines use.

    An article's sentences keep to its topic; a disclaimer, a bio or another story's teaser
    beside it mostly do not, however well-formed they are. The main run's words are the
    article's alone: a page of teasers shares words across the page, not with the story.
    """
    n = len(lines)
    topic, title, in_main = np.zeros(n), np.zeros(n), np.zeros(n)
    main_prose = prose & main
    # a word counts when another prose line uses it: any prose line's word for a line that is not
    # prose itself, a word of two prose lines for one that is (set operations, no per-word loop)
    used, twice = _seen(content, prose)
    main_used, main_twice = _seen(content, main_prose)
    heading = content[0] if n and lines[0].index == 0 else frozenset()
    flags = zip(content, prose.tolist(), main_prose.tolist(), strict=True)
    for i, (words, in_prose, in_main_prose) in enumerate(flags):
        if not words:
            continue
        size = len(words)
        topic[i] = len(words & (twice if in_prose else used)) / size
        in_main[i] = len(words & (main_twice if in_main_prose else main_used)) / size
        if heading and i:
            title[i] = len(words & heading) / size
    return topic, title, in_main


def _seen(content: list[frozenset[str]], which: npt.NDArray[np.bool_]) -> tuple[set[str], set[str]]:
    """The words of the ``which`` lines, and those that two or more of them use."""
    counts = Counter(chain.from_iterable(content[i] for i in np.flatnonzero(which).tolist()))
    return set(counts), {word for word, count in counts.items() if count > 1}


#: Prose lines at most this many lines apart belong to one run (a subheading or a caption between).
RUN_GAP = 3
#: A short line that heads a section of other content: "Related", "More from ...", "About the author".
SECTION_HEAD_CHARS = 60
_SECTION_HEAD = re.compile(
    r"\x00(?:related|more (?:from|on|in|about|stories|news|articles|like this)"
    r"|about (?:the )?author|(?:the )?authors?$|read (?:more|next|also)|recommended|popular|trending"
    r"|latest|top stories|you (?:may|might)"
    r"|editor'?s? picks?|also on|don't miss|further reading|weitere|mehr (?:zum|aus|von|zu|news|artikel)"
    r"|auch interessant|das könnte|über (?:den|die) autor|zum autor|zur autorin|meistgelesen|neueste"
    r"|aktuelle|top-?themen|lesen sie|à lire|a lire|sur le même sujet|les plus lus|autres articles"
    r"|à propos de l'auteur"
    r"|dans la même rubrique|relacionad|más (?:noticias|leídas|de)|sobre el autor|lo más|te puede"
    r"|correlati|leggi anche|potrebbe|più lett|l'autore|altri articoli|powiązane|czytaj|najpopularniejsze"
    r"|o autorze|gerelateerd|lees ook|meer (?:nieuws|over))"
)
#: What an author's bio says of its subject ("is a reporter", "writes about", "joined ... in 2019").
BIO_PHRASES = (
    r"\b(?:(?:is|was) an? (?:[\w-]+ ){0,3}(?:reporter|writer|journalist|correspondent|editor|columnist"
    r"|contributor|author|freelancer|blogger|photographer|producer|analyst)"
    r"|(?:writes|wrote|reports|reported) (?:about|for|on)\b|covers? (?:[\w-]+ ){1,3}for\b"
    r"|joined (?:[\w-]+ ){1,5}in (?:19|20)\d\d|is the author of"
    r"|author of (?:the |a |several )?(?:\w+ )?(?:books?|novels?)"
    r"|follow (?:him|her|them) on|(?:e-?mail|reach|contact) (?:him|her|them) at|lives in (?:[\w-]+ ){1,3}with"
    r"|ist (?:[\w-]+ ){0,3}(?:redakteur|journalist|autor|korrespondent|volontär|reporter|kolumnist)"
    r"|schreibt (?:für|über|seit)"
    r"|arbeitet (?:seit (?:[\w-]+ ){0,3})?als (?:[\w-]+ ){0,2}(?:redakteur|journalist|autor)"
    r"|est (?:[\w-]+ ){0,2}(?:journaliste|rédact|correspondant|chroniqueu|auteur|autrice)"
    r"|es (?:[\w-]+ ){0,2}(?:periodista|redactor|corresponsal|columnista|escritor)"
    r"|è (?:[\w-]+ ){0,2}(?:giornalista|redattore|redattrice|scrittore|scrittrice|corrispondente)"
    r"|jest (?:[\w-]+ ){0,2}(?:dziennikar|redaktor|publicyst|autor|reporter)"
    r"|(?:is|are) (?:a )?(?:freelance|staff|senior|contributing) )"
)
_BIO = led("acefijlrswè", BIO_PHRASES)


def _starts_with(pattern: re.Pattern[str], picked: list[str]) -> npt.NDArray[np.bool_]:
    """Which lines ``pattern`` (led by a NUL) matches at their start, lower-cased: one pass over them
    joined, a NUL before each, so that the pattern starts with a literal ``re`` scans for quickly."""
    joined = ("\x00" + "\x00".join(picked)).lower()
    out = np.zeros(len(picked), dtype=bool)
    found = [m.start() for m in pattern.finditer(joined)]  # offsets of the NUL before a line
    if found:
        starts = _line_starts(picked)
        out[np.searchsorted(starts, found, side="left")] = True
    return out


def _prose_runs(
    prose: npt.NDArray[np.bool_], lengths: FloatArray
) -> tuple[npt.NDArray[np.intp], FloatArray, npt.NDArray[np.intp], npt.NDArray[np.intp], int]:
    """Per line, the run of prose it lies in (-1: none); each run's characters, first and last line;
    and which run is the main one (most characters of prose)."""
    n = prose.shape[0]
    idx = np.flatnonzero(prose)
    run_of = np.full(n, -1, dtype=np.intp)
    if idx.shape[0] == 0:
        empty = np.zeros(0, dtype=np.intp)
        return run_of, np.zeros(0), empty, empty, -1
    cut = np.flatnonzero(np.diff(idx) > RUN_GAP) + 1
    first_i = np.concatenate(([0], cut))
    last_i = np.concatenate((cut, [idx.shape[0]])) - 1
    start, end = idx[first_i], idx[last_i]
    mass: FloatArray = np.add.reduceat(lengths[idx], first_i)
    candidate = np.searchsorted(start, np.arange(n), side="right") - 1
    inside = (candidate >= 0) & (np.arange(n) <= end[np.maximum(candidate, 0)])
    run_of[inside] = candidate[inside]
    return run_of, mass, start, end, int(mass.argmax())


def _run_features(
    runs: tuple[npt.NDArray[np.intp], FloatArray, npt.NDArray[np.intp], npt.NDArray[np.intp], int],
    *,
    prose: npt.NDArray[np.bool_],
    lengths: FloatArray,
    main_overlap: FloatArray,
    scans: Sequence[str],
    headline_at: FloatArray | None,
) -> FloatArray:
    """``RUN_NAMES`` columns: the line's run and its standing, the main run's distance and words,
    lines since a section heading, bio wording, and whether the line comes before the headline."""
    run_of, mass, start, end, main = runs
    n = run_of.shape[0]
    out = np.zeros((n, len(RUN_NAMES)))
    at = np.arange(n)
    inside = run_of >= 0
    if main >= 0:
        rank = np.empty(mass.shape[0], dtype=np.intp)
        rank[np.argsort(-mass, kind="stable")] = np.arange(mass.shape[0])
        safe = np.maximum(run_of, 0)
        out[:, 0] = np.where(inside, mass[safe] / mass.sum(), 0.0)
        out[:, 1] = np.where(inside, np.minimum(rank[safe], 4) / 4, 1.0)
        first, last = int(start[main]), int(end[main])
        out[:, 2] = run_of == main
        out[:, 3] = np.log1p(np.maximum(np.maximum(first - at, at - last), 0)) / 5
        cum = np.concatenate(([0.0], np.cumsum(lengths)))  # cum[k]: characters of lines before k
        between = np.where(
            at < first, cum[first] - cum[at + 1], np.where(at > last, cum[at] - cum[last + 1], 0.0)
        )
        out[:, 4] = np.log1p(between) / 10
        out[:, 5] = at > last
        # each run's mean overlap with the main run's words, over its prose lines
        members = np.flatnonzero(prose & inside)
        sums = np.bincount(run_of[members], weights=main_overlap[members], minlength=mass.shape[0])
        sizes = np.bincount(run_of[members], minlength=mass.shape[0])
        run_mean = sums / np.maximum(sizes, 1)
        out[:, 7] = np.where(inside, run_mean[safe], main_overlap)
    out[:, 6] = main_overlap
    short = np.flatnonzero(lengths <= SECTION_HEAD_CHARS)
    heads = np.zeros(n, dtype=bool)
    if short.shape[0]:
        heads[short] = _starts_with(_SECTION_HEAD, [scans[i] for i in short.tolist()])
    since, _ = _gaps(heads)
    out[:, 8] = since
    out[:, 9] = _match_counts(_BIO, scans, at, lower=True) > 0
    if headline_at is not None:
        out[:, 10] = headline_at
    return out


def site_name(title: str) -> str | None:
    """The site's name in a page title ("How to … | Example News"): the shorter end part, case-folded."""
    parts = [part.strip() for part in _TITLE_SEPARATOR.split(title)]
    if len(parts) < 2:
        return None
    name = min(parts[0], parts[-1], key=len).casefold()
    return name if 3 <= len(name) <= 40 else None


def _names_site(lines: Sequence[Line]) -> FloatArray:
    """Whether a line names the site (from the page title, the first line of a page dump), title aside."""
    out = np.zeros(len(lines))
    if not lines or lines[0].index != 0:
        return out
    name = site_name(lines[0].text)
    if name is None:
        return out
    title = lines[0].key
    for i, line in enumerate(lines[1:], start=1):
        if name in line.scan.casefold() and not (title.startswith(line.key) or line.key.startswith(title)):
            out[i] = 1.0
    return out


def _block_sizes(lines: Sequence[Line]) -> FloatArray:
    """Per line, how many of ``lines`` share its block: run lengths, as blocks only grow down a page."""
    blocks = np.fromiter((line.block for line in lines), dtype=np.intp, count=len(lines))
    if np.any(blocks[1:] < blocks[:-1]):  # not in page order: count by value
        _, inverse, sizes = np.unique(blocks, return_inverse=True, return_counts=True)
        out: FloatArray = sizes[inverse].astype(np.float64)
        return out
    starts = np.flatnonzero(np.concatenate(([True], blocks[1:] != blocks[:-1])))
    runs = np.diff(np.append(starts, len(lines)))
    return np.repeat(runs, runs).astype(np.float64)


def _linkish_counts(scans: Sequence[str]) -> FloatArray:
    """``_LINKISH`` matches per line, run case-sensitively on the lower-cased page when that is exact."""
    if not scans:
        return np.zeros(0)
    joined = "\x00".join(scans)
    lowered = joined.lower()
    if len(lowered) != len(joined):  # a character lowered to two ("İ"): offsets would move
        return _match_counts(_LINKISH, scans, np.arange(len(scans)))
    return _owner_counts(_LINKISH_LOWER, lowered, scans)


def _formal_you_counts(scans: Sequence[str]) -> FloatArray:
    """``_FORMAL_YOU`` matches per line; a page without "Sie" or "Ih" anywhere (most that are not
    German) skips the regex pass, as every match starts with one of them."""
    if not any("Sie" in scan or "Ih" in scan for scan in scans):
        return np.zeros(len(scans))
    return _match_counts(_FORMAL_YOU, scans, np.arange(len(scans)))


def _match_counts(
    pattern: re.Pattern[str], scans: Sequence[str], which: npt.NDArray[np.intp], *, lower: bool = False
) -> FloatArray:
    """Matches of ``pattern`` in each of the ``which`` lines: one regex pass over them joined.

    NUL joins them because segmentation strips it, so no match spans two lines.
    """
    if which.shape[0] == 0:
        return np.zeros(0)
    picked = [scans[i] for i in which.tolist()]
    joined = "\x00".join(picked)
    return _owner_counts(pattern, joined.lower() if lower else joined, picked)


def _line_starts(texts: Sequence[str]) -> npt.NDArray[np.intp]:
    """Where each of ``texts`` starts in them joined by one separator character."""
    starts = np.zeros(len(texts), dtype=np.intp)
    if len(texts) > 1:
        np.cumsum(np.fromiter(map(len, texts[:-1]), dtype=np.intp, count=len(texts) - 1) + 1, out=starts[1:])
    return starts


def _owner_counts(pattern: re.Pattern[str], joined: str, picked: Sequence[str]) -> FloatArray:
    """Matches of ``pattern`` in ``joined`` (``picked`` joined by NUL) counted per line they start in."""
    found = [m.start() for m in pattern.finditer(joined)]
    if not found:
        return np.zeros(len(picked))
    starts = _line_starts(picked)
    owner = np.searchsorted(starts, found, side="right") - 1
    return np.bincount(owner, minlength=len(picked)).astype(np.float64)


_LETTER, _DIGIT, _UPPER_BIT, _SPACE = 1, 2, 4, 8


@lru_cache(maxsize=1)
def _char_table() -> npt.NDArray[np.uint8]:
    """Class bits of every BMP code point (letter, decimal digit, upper or caseless letter, space)."""
    chars = np.array([chr(i) for i in range(0x10000)])
    letter = np.char.isalpha(chars)
    table = letter * _LETTER + np.char.isdecimal(chars) * _DIGIT + np.char.isspace(chars) * _SPACE
    table += (letter & ~np.char.islower(chars)) * _UPPER_BIT  # caseless scripts count like capitals
    table[0] = _SPACE  # the line separator of the joined page
    table[0xFFFF] = 0  # stands for every code point beyond the BMP (emoji, rare CJK)
    out: npt.NDArray[np.uint8] = table.astype(np.uint8)
    return out


def _char_counts(
    heads: Sequence[str],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, bool]:
    """Per line: letters, digits, capital letters, capitalised words and ", "/". "/"; " pauses;
    and whether the page has a code point beyond the BMP, which the table does not classify."""
    n = len(heads)
    if n == 0:
        return (*(np.zeros(0) for _ in range(5)), False)  # type: ignore[return-value]
    joined = "\x00".join(heads)
    codes = code_points(joined)
    astral = bool(codes.max() > 0xFFFF)
    flags = _char_table()[np.minimum(codes, 0xFFFF) if astral else codes]
    prev_space = np.empty(codes.shape[0], dtype=bool)
    prev_space[0] = True
    prev_space[1:] = (flags[:-1] & _SPACE) > 0
    upper = (flags & _UPPER_BIT) > 0
    pause = np.zeros(codes.shape[0], dtype=bool)
    pause[:-1] = ((codes[:-1] == 44) | (codes[:-1] == 46) | (codes[:-1] == 59)) & (codes[1:] == 32)
    # segment sums straight from the flags: no per-character float matrix on a huge page
    begins = _line_starts(heads)
    indicators = ((flags & _LETTER) > 0, (flags & _DIGIT) > 0, upper, upper & prev_space, pause)
    totals = np.stack([np.add.reduceat(ind, begins, dtype=np.int64) for ind in indicators], axis=1)
    totals = totals.astype(np.float64)
    return totals[:, 0], totals[:, 1], totals[:, 2], totals[:, 3], totals[:, 4], astral


def context_features(base: FloatArray) -> FloatArray:
    """Base rows widened by neighbourhood averages and by where the densest prose region lies."""
    n = base.shape[0]
    cols = base[:, _CONTEXT_IDX]
    pad = max(max(before, after) for _, before, after in WINDOWS)
    padded = np.zeros((n + 2 * pad, cols.shape[1]))
    padded[pad : pad + n] = cols
    cumsum = np.vstack([np.zeros((1, cols.shape[1])), np.cumsum(padded, axis=0)])
    ones = np.zeros(n + 2 * pad)
    ones[pad : pad + n] = 1.0
    count_cum = np.concatenate([[0.0], np.cumsum(ones)])
    # every window at once: (windows, lines) bounds into the cumulative sums
    idx = np.arange(n) + pad
    lo = idx - _WINDOW_BEFORE[:, None]
    hi = idx + _WINDOW_AFTER[:, None] + 1
    total = cumsum[hi] - cumsum[lo] - cols
    count = np.maximum(count_cum[hi] - count_cum[lo] - 1.0, 1.0)
    averaged = (total / count[:, :, None]).transpose(1, 0, 2).reshape(n, len(WINDOWS) * cols.shape[1])
    parts = [base, averaged]
    # the article is one dense run of prose: mass of long prose lines in a ±5 window
    mass = base[:, BASE_NAMES.index("long_prose")] * base[:, 0]
    mass_cum = np.concatenate([[0.0], np.cumsum(mass)])
    lo, hi = np.clip(np.arange(n) - 5, 0, n), np.clip(np.arange(n) + 6, 0, n)
    window = mass_cum[hi] - mass_cum[lo]
    peak = float(window.max()) if n else 0.0
    region = np.zeros((n, len(REGION_NAMES)))
    if peak > 0:
        centre = int(window.argmax())
        region[:, 0] = window / peak
        region[:, 1] = np.log1p(np.abs(np.arange(n) - centre)) / 5.0
        prose = np.flatnonzero(mass > 0)
        region[:, 2] = np.arange(n) < prose[0]
        region[:, 3] = np.arange(n) > prose[-1]
    region[:, 4] = math.log1p(n) / 5.0
    region[:, 5], region[:, 6] = _gaps(mass > 0)
    if n:
        region[:, 7], region[:, 8] = _list_runs(base[:, 0], mass > 0)
    parts.append(region)
    return np.hstack(parts)


def line_features(
    lines: Sequence[Line],
    stops: frozenset[str],
    *,
    repeated: set[str] | frozenset[str] = frozenset(),
    is_common: Callable[[Line], bool] | None = None,
    headline: int | None = None,
) -> tuple[FloatArray, list[str | None]]:
    """The model's input: one row of ``FEATURE_NAMES`` per line, plus each line's cue."""
    base, cues = base_features(lines, stops, repeated=repeated, is_common=is_common, headline=headline)
    return context_features(base), cues


#: Lines shorter than this (log1p of characters: about 100) can be list items.
LIST_CHARS = 4.6
#: Neighbouring list items differ by less than this in log length.
LIST_SIMILAR = 0.5


def _list_runs(lc: FloatArray, prose: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Length of the run of similar short lines a line belongs to, and whether prose bounds it.

    Lists inside an article (ingredients, steps, specs) are runs of short lines of similar
    length with prose just before and just after; menus are runs too, but rarely between prose.
    """
    n = lc.shape[0]
    short = lc < LIST_CHARS
    breaks = np.ones(n + 1, dtype=bool)  # a run starts at each True; the extra one closes the last
    breaks[1:n] = ~(short[:-1] & short[1:] & (np.abs(np.diff(lc)) < LIST_SIMILAR))
    edges = np.flatnonzero(breaks)
    run_id = np.cumsum(breaks[:n]) - 1
    near = np.zeros(n + 4, dtype=bool)  # near[j]: line j - 2 is prose
    near[2 : n + 2] = prose
    first, last = edges[:-1], edges[1:] - 1
    bounded = (near[first] | near[first + 1]) & (near[last + 3] | near[last + 4]) & (last > first)
    size = np.log1p(np.diff(edges)) / 3.0
    return np.where(short, size[run_id], 0.0), (bounded[run_id] & short).astype(np.float64)


def _gaps(flags: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Lines since the last flagged line and until the next one, log-scaled (8 when there is none)."""
    n = flags.shape[0]
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(flags, idx, -1))
    nxt = np.minimum.accumulate(np.where(flags, idx, n + 10**6)[::-1])[::-1]
    before = np.where(last >= 0, np.log1p(idx - last), 8.0)
    after = np.where(nxt < n, np.log1p(nxt - idx), 8.0)
    return before / 5.0, after / 5.0


def headline_index(lines: Sequence[Line]) -> int | None:
    """Where the page title (the first line of a page dump) is said again, as the article's H1."""
    if len(lines) < 3:
        return None
    title = lines[0].key
    if len(title) < 10:
        return None
    for line in lines[1:200]:
        key = line.key
        if len(key) >= 10 and (title.startswith(key) or key.startswith(title)):
            return line.index
    return None


def _is_cjk(lines: Sequence[Line]) -> bool:
    sample = "".join(line.text[:200] for line in lines[:200])
    return len(_CJK.findall(sample)) > len(sample) * 0.3
