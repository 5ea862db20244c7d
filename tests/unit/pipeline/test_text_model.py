"""The learned line model: it loads, scores deterministically, drops menus and keeps prose."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.text import text_stages
from ingest_worker.pipeline.text.classify import _marked_furniture, _prose_beside_body, _site_notices
from ingest_worker.pipeline.text.features import FEATURE_NAMES, line_features, site_name
from ingest_worker.pipeline.text.model import MODEL_PATH, Forest, LineModel, load_model, smooth
from ingest_worker.pipeline.text.segment import segment
from ingest_worker.pipeline.text.stopwords import stoplist, universal_stoplist

GERMAN = (
    "Der Stadtrat hat am Dienstag nach einer langen und zum Teil hitzigen Debatte den neuen Haushalt "
    "für das kommende Jahr beschlossen. Mitglieder aller Fraktionen sprachen über die Sanierung der "
    "Schulen, den Zustand der Straßen und die stark gestiegenen Kosten des Wohnens in der Innenstadt, "
    "die viele Familien inzwischen an den Rand ihrer finanziellen Möglichkeiten bringen."
)
ENGLISH = (
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day, "
    "with members from all parties speaking about schools, roads and the cost of housing in the city. "
    "The mayor said the plan would be reviewed again in the spring, when the first figures arrive."
)
MENU = "Home\nNews\nSport\nBusiness\nCulture\nWeather\nVideos\nPodcasts\nNewsletters\nSign in\n"


def run(text: str) -> Article:
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=b"", content_type="text/plain", text=text)
    for stage in text_stages():
        doc = stage(doc, ctx)
    return doc


def test_the_shipped_model_file_loads_and_matches_the_features() -> None:
    model = load_model()
    assert MODEL_PATH.exists()
    assert model.mean.shape == (len(FEATURE_NAMES),)
    assert LineModel.from_dict(model.to_dict()).to_dict() == model.to_dict()


def test_the_model_scores_the_same_page_the_same_way_twice() -> None:
    layout = segment(MENU + "\n" + ENGLISH + "\n" + ENGLISH.upper() + "\n")
    features, _ = line_features(layout.lines, stoplist("en") or frozenset())
    first, second = load_model().scores(features), load_model().scores(features.copy())
    assert np.array_equal(first, second)
    assert first.shape == (len(layout.lines),)


def test_a_navigation_menu_block_is_dropped_and_the_article_kept() -> None:
    doc = run(MENU + "\n" + ENGLISH + "\n\n" + ENGLISH.replace("Tuesday", "Monday") + "\n\n" + MENU.lower())
    assert len(doc.paragraphs) == 2
    assert all(not p.startswith(("Home", "News", "Sign in")) for p in doc.paragraphs)


def test_a_long_german_paragraph_is_kept_between_page_furniture() -> None:
    text = "Startseite\nPolitik\nWirtschaft\nSport\n\n" + GERMAN + "\n\nImpressum\nDatenschutz\nKontakt\n"
    doc = run(text)
    assert doc.paragraphs == [GERMAN]


def test_smoothing_without_a_switch_cost_is_a_plain_threshold() -> None:
    logits = np.array([-1.0, 2.0, -0.5, 3.0, -2.0])
    assert smooth(logits, 0.0).tolist() == [False, True, False, True, False]


def test_smoothing_bridges_a_weak_dip_inside_the_article() -> None:
    logits = np.array([-3.0, 2.0, -0.5, 3.0, -3.0])
    assert smooth(logits, 1.0).tolist() == [False, True, True, True, False]


def test_the_universal_stop_list_covers_many_languages() -> None:
    words = universal_stoplist()
    assert {"the", "und", "de", "la", "w", "и"} <= words


def _two_trees() -> Forest:
    """Tree one splits feature 0 then feature 1 on the right; tree two is a single stump on feature 1."""
    tree_one = [(0, 0.5, 1, 2, 0.0), (0, 0.0, -1, -1, -1.0), (1, 2.0, 3, 4, 0.0), (0, 0.0, -1, -1, 1.0),
                (0, 0.0, -1, -1, 3.0)]  # fmt: skip
    tree_two = [(1, 0.0, 1, 2, 0.0), (0, 0.0, -1, -1, -0.5), (0, 0.0, -1, -1, 0.5)]
    return Forest.from_nodes([tree_one, tree_two], bias=0.25)


def test_the_vectorised_forest_walks_every_line_down_every_tree() -> None:
    forest = _two_trees()
    x = np.array([[0.0, -1.0], [1.0, 1.0], [1.0, 5.0], [0.5, 2.0]])
    # row by row: (-1 - .5), (1 + .5), (3 + .5), (-1 + .5); a value equal to the threshold goes left
    assert np.allclose(forest(x), np.array([-1.5, 1.5, 3.5, -0.5]) + 0.25)
    assert forest(np.zeros((0, 2))).shape == (0,)


def test_a_forest_survives_the_round_trip_through_its_json_form() -> None:
    forest = _two_trees()
    again = Forest.from_dict(json.loads(json.dumps(forest.to_dict())))
    x = np.random.default_rng(0).normal(size=(50, 2)) * 3
    assert np.array_equal(forest(x), again(x))
    assert again.to_dict() == forest.to_dict()


def _walked_one_by_one(forest: Forest, x: np.ndarray) -> np.ndarray:
    """The plain form: each line down each tree from the root, leaf values added tree by tree."""
    inner = forest.feature.shape[1]
    out = np.empty(x.shape[0])
    for r, row in enumerate(x):
        total = None
        for t in range(forest.feature.shape[0]):
            node = 0
            for _ in range(forest.depth):
                node = 2 * node + (2 if row[forest.feature[t, node]] > forest.threshold[t, node] else 1)
            value = float(forest.value[t, node - inner])
            total = value if total is None else total + value
        out[r] = (0.0 if total is None else total) + forest.bias
    return out


@pytest.mark.parametrize("lines", [2, 3, 7, 8, 9, 25, 26])
def test_the_forest_walk_in_parts_gives_every_line_the_plain_walks_leaves_and_sum(
    lines: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walked in parts of 4 lines and scored in calls of 12, across the shipped trees: the same
    leaves and the same sums, bit for bit (tree by tree, as the scores always were added)."""
    from ingest_worker.pipeline.text import model

    monkeypatch.setattr(model, "_WALK_ROWS", 4)
    monkeypatch.setattr(model, "_FOREST_ROWS", 12)
    forest = load_model().stage1
    assert isinstance(forest, Forest)
    rng = np.random.default_rng(lines)
    x = rng.normal(size=(lines, len(FEATURE_NAMES))) * 2
    x[:, : len(FEATURE_NAMES) // 2] = np.abs(x[:, : len(FEATURE_NAMES) // 2])
    # every call of 12 lines (and the rest) is summed as a whole; a call of one line is numpy's own sum
    calls = [x[i : i + 12] for i in range(0, lines, 12)]
    expected = np.concatenate(
        [_walked_one_by_one(forest, part) if len(part) > 1 else forest(part) for part in calls]
    )
    assert np.array_equal(forest(x), expected)


def test_a_lone_line_and_an_empty_page_score_as_before() -> None:
    forest = _two_trees()
    assert forest(np.array([[1.0, 5.0]])).tolist() == [3.5 + 0.25]
    assert forest(np.zeros((0, 2))).tolist() == []
    stump = Forest.from_nodes([[(0, 0.0, -1, -1, 2.0)]], bias=1.0)  # depth 0: one leaf
    assert stump(np.zeros((3, 1))).tolist() == [3.0, 3.0, 3.0]


def _column(features: np.ndarray, name: str) -> list[float]:
    return [round(float(v), 4) for v in features[:, FEATURE_NAMES.index(name)]]


def test_character_classes_are_counted_per_line_across_scripts() -> None:
    layout = segment("AB cd 12\n\nПривет Мир\n\n😀😀 ok\n")
    features, _ = line_features(layout.lines, frozenset())
    # letters 4/8, 9/10, 2/5; digits 2/8; capitals among letters 2/4, 2/9, 0/2
    assert _column(features, "non_letter_share") == [0.5, 0.1, 0.6]
    assert _column(features, "digit_share") == [0.25, 0.0, 0.0]
    assert _column(features, "upper_share") == [0.5, round(2 / 9, 4), 0.0]
    assert _column(features, "capitalised_words") == [round(1 / 3, 4), 1.0, 0.0]


def test_cues_photo_credits_and_menus_are_found_on_their_own_lines_only() -> None:
    layout = segment(
        "Share on Facebook\n\n"
        "The council met on Tuesday and spoke about the budget for a long time.\n\n"
        "Photo: Jane Smith/Reuters\n\n"
        "Home | News | Sport | Weather\n"
    )
    features, cues = line_features(layout.lines, stoplist("en") or frozenset())
    assert cues == ["share_prompt", None, None, None]
    assert _column(features, "photo_credit") == [0.0, 0.0, 1.0, 0.0]
    assert _column(features, "menu_separators") == [0.0, 0.0, 0.0, 0.6]


def test_a_forest_scores_a_huge_page_in_chunks_the_same_as_line_by_line() -> None:
    forest = _two_trees()
    x = np.random.default_rng(1).normal(size=(5000, 2)) * 3
    assert np.array_equal(forest(x), np.concatenate([forest(x[i : i + 1]) for i in range(0, 5000)]))


def test_kept_captions_teasers_and_comment_headers_are_dropped_with_their_reason() -> None:
    layout = segment(
        "The mayor at the council meeting on Tuesday evening (REUTERS/Denis Balibouse)\n\n"
        "Das Hermelin ist im Winter gut getarnt. © AFP / Jeff Pachoud\n\n"
        "PUEDES VER: ¿Qué es la Sunedu y para qué sirve?\n\n"
        "Tags: budget, council, housing\n\n"
        "Anne 21. Juni 2018 um 7:32 Uhr - Antworten\n\n"
        "The limit on the road is now 30 (km/h) in the whole city centre.\n\n"
        "The figures came from the statistics office (Destatis/Eurostat)\n\n"
        f"{ENGLISH}\n\n"
        "Join our Newsletter for the latest news right to your inbox\n\n"
        "The newsletter, launched in 2019, now has twenty thousand readers.\n"
    )
    keep = np.ones(len(layout.lines), dtype=bool)
    marked = _marked_furniture(keep, layout.lines)
    assert marked == {
        0: "photo_credit",
        1: "photo_credit",
        2: "teaser",
        3: "teaser",
        4: "comment_header",
        8: "newsletter",
    }
    assert keep.tolist() == [False] * 5 + [True] * 3 + [False, True]


def test_kept_site_notices_are_dropped_with_their_reason_and_sentences_about_the_same_things_kept() -> None:
    notices = {
        "Abbildung 3: Grosser Schneekristall. Jedes Feld des Rasters ist 2 mm lang.": "photo_credit",
        "Photograph by Jeremy Holden, Fauna & Flora International": "photo_credit",
        "Vertreter sprachen mit der Ministerin. (Bildquelle: Ring der Landjugend )": "photo_credit",
        "Stapel mit Mauerziegeln auf einer Baustelle. - © jollier_ - stock.adobe.com": "photo_credit",
        "Quelle: Verbraucherzentrale NRW": "source_note",
        "This entry was posted in Allgemein. Bookmark the permalink.": "post_meta",
        "Pingback: Das wird man ja wohl noch sagen dürfen | Popcorn Piraten": "post_meta",
        "Advertising disclosure: We may receive compensation for some of the links.": "disclosure",
        "Für Links auf dieser Seite erhält CHIP ggf. eine Provision vom Händler.": "disclosure",
        "11 responses to “The Loneliest Woman in the World”": "comment_header",
        "Diese Website verwendet Akismet, um Spam zu reduzieren.": "consent_prompt",
        "Um den Tipp kommentieren zu können, müssen Sie eingeloggt sein.": "consent_prompt",
    }
    sentences = [
        "Figure 1 illustrates how the budget grew over the last ten years.",
        "The council said the source of the delay was a shortage of staff.",
        "Passengers will receive compensation from the airline for the four-hour delay.",
        "Three comments on the plan came from the opposition benches.",
        "Der Beitrag wurde am Montag im Fernsehen gesendet und von vielen gesehen.",
        "Der Minister sagte: „Ich bin damit einverstanden, wenn die Länder zahlen.“",
        "Photographers by the hundred waited outside the court on Tuesday.",
    ]
    layout = segment("\n\n".join([*notices, *sentences]) + "\n")
    keep = np.ones(len(layout.lines), dtype=bool)
    marked = _site_notices(keep, layout.lines)
    assert {layout.lines[i].text: reason for i, reason in marked.items()} == notices
    assert [line.text for line, kept in zip(layout.lines, keep, strict=True) if kept] == sentences


@pytest.mark.parametrize(
    ("caption", "text", "days", "numbered"),
    [
        (  # a figure's lead-in (the site-notice rules)
            "Abbildung 2: Der Stadtrat bei der Sitzung am Dienstagabend im alten Rathaus",
            GERMAN,
            ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"),
            "Haushalt Nummer",
        ),
        (  # a photo credit at its end
            "The mayor at the council meeting on Tuesday evening (REUTERS/Denis Balibouse)",
            ENGLISH,
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
            "budget number",
        ),
    ],
)
def test_a_caption_the_model_kept_goes_to_the_captions_not_the_text(
    caption: str, text: str, days: tuple[str, ...], numbered: str
) -> None:
    word = numbered.split(maxsplit=1)[0]  # "Haushalt Nummer 3": each paragraph differs, as on a page
    body = [text.replace(days[1], day).replace(word, f"{numbered} {i}") for i, day in enumerate(days * 2)]
    doc = run(MENU + "\n" + "\n\n".join([*body[:6], caption, *body[6:]]) + "\n\n" + MENU.lower())
    assert caption not in doc.paragraphs
    assert caption in doc.captions
    assert len(doc.paragraphs) == len(body)


def test_reader_address_and_promotion_words_mark_a_promotion_not_the_report() -> None:
    layout = segment(
        f"{ENGLISH}\n\n"
        "We may receive compensation when you click on links to products from our advertisers.\n\n"
        "Klicken Sie hier, um Ihre Daten zu verwalten, und abonnieren Sie unseren Newsletter.\n\n"
        f"{GERMAN}\n"
    )
    features, _ = line_features(layout.lines, frozenset())
    address, promo = _column(features, "reader_address"), _column(features, "promo_words")
    assert address[0] == 0.0 and address[3] == 0.0  # reports: no "you", "we", "Sie", "unser"
    assert address[1] > 0.15 and address[2] > 0.25
    assert promo[0] == 0.0 and promo[3] == 0.0
    assert promo[1] > 0.0 and promo[2] > 0.0  # "click", "klick", "abonn", "newsletter"


def test_the_site_is_named_from_the_page_title_and_found_in_other_lines() -> None:
    assert site_name("Council approves the budget for next year | Example News") == "example news"
    assert site_name("Example News – Council approves the budget for next year") == "example news"
    assert site_name("Council approves the budget for next year") is None
    layout = segment(
        "Council approves the budget for next year | Example News\n\n"
        "Council approves the budget for next year\n\n"
        f"{ENGLISH}\n\n"
        "Example News is supported by its readers. Become a member today.\n"
    )
    features, _ = line_features(layout.lines, stoplist("en") or frozenset())
    assert _column(features, "names_site") == [0.0, 0.0, 0.0, 1.0]


def test_topic_overlap_tells_the_articles_sentences_from_an_unrelated_note() -> None:
    second = (
        "Members of the council said the new budget would fund schools and repair roads across the city, "
        "and that housing costs would be reviewed again when the spring figures arrive."
    )
    note = "Disclaimer: opinions expressed by contributors are their own and not endorsed by this publisher."
    layout = segment(f"Council approves budget\n\n{ENGLISH}\n\n{second}\n\n{note}\n")
    features, _ = line_features(layout.lines, stoplist("en") or frozenset())
    topic, title = _column(features, "topic_overlap"), _column(features, "title_overlap")
    assert topic[1] > 0.3 and topic[2] > 0.3  # "council", "budget", "schools", "roads", "housing"
    assert topic[3] == 0.0
    assert title[1] > 0.0 and title[2] > 0.0 and title[3] == 0.0


def test_a_promotion_addressing_the_reader_after_the_article_is_dropped_and_the_article_kept() -> None:
    """The shipped model (before the reader-address and topic features it kept this prompt)."""
    title = "Council approves the budget for next year"
    paras = [
        "The city council approved the new budget on Tuesday after a debate that lasted most of the day.",
        "Members from all parties spoke about schools, roads and the cost of housing in the city, which has "
        "risen sharply since the factory closed.",
        "The mayor said the plan would be reviewed again in the spring, when the first figures from the tax "
        "office arrive and the council knows how much the schools will need.",
        "Opposition members said the budget cut too deeply into the money for public transport and promised "
        "to bring the question back to the council in the autumn.",
        "The budget will now go to the regional government, which has to approve the city's borrowing before "
        "the end of the year.",
    ]
    prompt = (
        "Wenn Sie unseren Newsletter abonnieren, erhalten Sie jeden Morgen die wichtigsten Nachrichten "
        "kostenlos in Ihr Postfach."
    )
    text = f"{title} | Example News\n\n{MENU}\n{title}\n\n" + "\n\n".join(paras)
    doc = run(f"{text}\n\n{prompt}\n\n{MENU.lower()}")
    assert doc.paragraphs == paras


def test_a_short_closing_sentence_after_the_article_is_kept_a_prompt_to_the_reader_is_not() -> None:
    cases = [
        ("The army has yet to comment.", ENGLISH, "en", True),
        ("Die Polizei ermittelt noch in alle Richtungen.", GERMAN, "de", True),
        ("Subscribe now to our e-edition for the full story.", ENGLISH, "en", False),  # speaks for the site
        ("Wir freuen uns auf Ihre Meinung.", GERMAN, "de", False),  # speaks to the reader
        ("Thanks for reading.", ENGLISH, "en", False),  # too short to be the article's sentence
        ("Share this story", ENGLISH, "en", False),  # no sentence
    ]
    for closing, article, language, kept in cases:
        layout = segment(f"{article}\n\n{closing}\n")
        features, _ = line_features(layout.lines, stoplist(language) or frozenset())
        keep = np.array([True, False])
        _prose_beside_body(keep, features, layout.lines)
        assert keep.tolist() == [True, kept], closing


def _runs_page() -> tuple[list[str], np.ndarray]:
    """An article of three paragraphs, a bio under "About the author", and far below, a teaser."""
    second = (
        "Members of the council said the new budget would fund schools and repair roads across the city, "
        "and that housing costs would be reviewed again when the spring figures arrive."
    )
    bio = (
        "Jane Doe is a senior reporter at Example News who writes about farming and the weather. "
        "She joined the paper in 2015 after ten years at a regional radio station."
    )
    teaser = (
        "The football club won the cup final after a dramatic penalty shootout in the rain on Saturday "
        "evening, its first trophy in twenty years."
    )
    filler = "\n".join(f"Menu item {k}" for k in range(6))
    text = f"Council approves budget\n\n{ENGLISH}\n\n{second}\n\n{ENGLISH}\n\nAbout the author\n\n{bio}\n\n"
    text += f"{filler}\n\n{teaser}\n"
    layout = segment(text)
    features, _ = line_features(layout.lines, stoplist("en") or frozenset(), headline=0)
    return [line.text for line in layout.lines], features


def test_the_main_prose_run_is_the_one_with_most_prose_and_others_rank_below_it() -> None:
    texts, features = _runs_page()
    article, bio, teaser = 1, texts.index("About the author") + 1, len(texts) - 1
    in_main, rank = _column(features, "in_main_run"), _column(features, "run_rank")
    assert in_main[article] == 1.0 and in_main[article + 2] == 1.0
    assert in_main[teaser] == 0.0 and rank[teaser] > 0.0  # a run of its own, smaller than the article
    assert _column(features, "run_share")[article] > _column(features, "run_share")[teaser]
    assert (
        _column(features, "after_main_run")[teaser] == 1.0
        and _column(features, "after_main_run")[article] == 0
    )
    assert (
        _column(features, "main_run_lines")[teaser] > 0.0
        and _column(features, "main_run_lines")[article] == 0
    )
    assert _column(features, "main_run_chars")[teaser] > 0.0
    assert rank[texts.index("Menu item 0")] == 1.0  # outside every run
    assert _column(features, "bio_cue")[bio] == 1.0 and _column(features, "bio_cue")[article] == 0.0


def test_a_teaser_shares_no_words_with_the_main_run_and_a_section_heading_counts_down() -> None:
    texts, features = _runs_page()
    article, teaser = 2, len(texts) - 1
    overlap = _column(features, "main_overlap")
    assert overlap[article] > 0.3  # "council", "budget", "schools" ... in the other paragraphs
    assert overlap[teaser] == 0.0 and _column(features, "run_main_overlap")[teaser] == 0.0
    since = _column(features, "since_section_head")
    head = texts.index("About the author")
    assert since[head] == 0.0 and 0.0 < since[head + 1] < since[head + 2]
    assert since[article] == 1.6  # no heading above the article


def test_lines_above_the_repeated_headline_are_marked_as_before_it() -> None:
    layout = segment(
        f"Council approves budget | Example News\n\nHome\n\nCouncil approves budget\n\n{ENGLISH}\n"
    )
    features, _ = line_features(layout.lines, stoplist("en") or frozenset(), headline=2)
    assert _column(features, "before_headline") == [1.0, 1.0, 0.0, 0.0]


class _KeepsOnly:
    """A stand-in model that keeps the given line indexes only."""

    def __init__(self, *kept: int) -> None:
        self.kept = kept

    def decide(self, features: np.ndarray) -> np.ndarray:
        keep = np.zeros(features.shape[0], dtype=bool)
        keep[list(self.kept)] = True
        return keep


def _bengali_page() -> str:
    body = (
        "কুষ্টিয়া-১ আসনের সংসদ সদস্যের ফুপাতো ভাইকে শনিবার সকালে নিজ বাড়ির সামনে কুপিয়ে হত্যা করা হয়েছে বলে "
        "পুলিশ জানিয়েছে। স্থানীয়রা জানান, হামলাকারীরা মোটরসাইকেলে এসে তাকে ঘিরে ফেলে।"
    )
    menu = "\n".join(["বাংলাদেশ", "রাজনীতি", "খেলা", "বিনোদন", "ভিডিও", "ENGLISH"] * 3)
    return f"{menu}\n\nবৃটেনে আমরা প্রথম, আমরাই শীর্ষে\n\n{body}\n\n{menu}\n"


def test_a_page_whose_model_keeps_only_a_header_line_keeps_its_prose_instead() -> None:
    """Bengali sentences end in a danda ("।"); the slogan the model kept is no body on its own."""
    from ingest_worker.pipeline.text.classify import classify
    from ingest_worker.pipeline.text.segment import BODY

    layout = segment(_bengali_page())
    slogan = [line.text for line in layout.lines].index("বৃটেনে আমরা প্রথম, আমরাই শীর্ষে")
    classify(layout, model=_KeepsOnly(slogan))  # type: ignore[arg-type]
    assert [line.text for line in layout.lines if line.kind == BODY] == [layout.lines[slogan + 1].text]
    assert layout.lines[slogan + 1].text.endswith("ফেলে।")


def test_a_page_whose_model_keeps_only_a_header_line_above_a_bare_menu_is_still_rejected() -> None:
    from ingest_worker.pipeline.text.classify import classify
    from ingest_worker.pipeline.text.segment import BODY

    menu = "\n".join(["Home", "News", "Sport", "Business", "Culture", "Weather", "Videos"] * 5)
    layout = segment(f"{menu}\n\nFirst in Britain, first in news\n\n{menu}\n")
    slogan = [line.text for line in layout.lines].index("First in Britain, first in news")
    classify(layout, model=_KeepsOnly(slogan))  # type: ignore[arg-type]
    assert not [line for line in layout.lines if line.kind == BODY]
