"""The plain-text stages one behaviour at a time: a string in, an Article out."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.text import attach_paragraphs, text_stages
from ingest_worker.pipeline.text.dates import parse_date
from ingest_worker.pipeline.text.metadata import parse_byline, site_name_from_copyright

BODY = (
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day, "
    "with members from all parties speaking about schools, roads and the cost of housing in the city.\n"
    "The mayor said the plan would be reviewed again in the spring, when the first figures from the "
    "new tax on empty homes are expected to show whether the measure is working as intended.\n"
)


def run(text: str, **fields: object) -> Article:
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=b"", content_type="text/plain", text=text, **fields)  # type: ignore[arg-type]
    for stage in text_stages():
        doc = stage(doc, ctx)
    return doc


def reasons(doc: Article) -> dict[str, str]:
    return {r.text: r.reason for r in doc.removed}


def test_repeated_headline_is_removed_once() -> None:
    doc = run(f"Council passes budget\n\n{BODY}Council passes budget\n{BODY}")
    assert doc.title == "Council passes budget"
    assert [r.reason for r in doc.removed].count("repeated_headline") == 1
    assert all(p != "Council passes budget" for p in doc.paragraphs)


def test_repeated_block_is_removed_but_first_copy_kept() -> None:
    doc = run(BODY + BODY)
    assert len(doc.paragraphs) == 2
    assert "repeated_block" in reasons(doc).values()


@pytest.mark.parametrize(
    ("opening", "place", "agency"),
    [
        ("Moscow [Russia], July 2 (ANI): ", "Moscow, Russia", "ANI"),
        ("WASHINGTON (Reuters) - ", "Washington", "Reuters"),
        ("LONDON, June 3 (Reuters) - ", "London", "Reuters"),
        ("BERLIN (dpa) – ", "Berlin", "dpa"),
    ],
)
def test_dateline_is_parsed_and_leaves_the_body(opening: str, place: str, agency: str) -> None:
    doc = run(opening + BODY)
    assert (doc.dateline_place, doc.dateline_agency) == (place, agency)
    assert doc.paragraphs[0].startswith("The city council")
    assert reasons(doc)[opening.strip()] == "dateline"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Smith and John Doe", ["Jane Smith", "John Doe"]),
        ("Von Anna Müller", ["Anna Müller"]),
        ("Por María José García", ["María José García"]),
        ("Tom Lee, Reuters", ["Tom Lee"]),
        ("by the way this is not a byline at all", []),
    ],
)
def test_bylines_in_several_languages(line: str, names: list[str]) -> None:
    assert parse_byline(line) == names


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1 Jul 2021", "2021-07-01"),
        ("July 1, 2021", "2021-07-01"),
        ("1. Juli 2021, 14:30 Uhr", "2021-07-01T14:30:00"),
        ("2021-07-01T08:15", "2021-07-01T08:15:00"),
        ("01.07.2021", "2021-07-01"),
        ("12 de marzo de 2020", "2020-03-12"),
        ("July 2", None),
        ("Published on Thursday", None),
    ],
)
def test_dates_as_news_sites_print_them(text: str, iso: str | None) -> None:
    assert parse_date(text, "en") == iso


def test_a_date_without_a_year_is_never_given_one() -> None:
    doc = run(f"Council passes budget\nJuly 2\n\n{BODY}")
    assert doc.published_at is None


def test_byline_and_date_above_the_body_become_metadata() -> None:
    doc = run(f"Council passes budget\n\nJane Smith\n3 March 2022\n\n{BODY}")
    assert doc.authors == ["Jane Smith"] and doc.published_at == "2022-03-03"
    assert doc.title == "Council passes budget"


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Copyright 2022 © TKG: A public media project of DHSA", "TKG"),
        ("© 2021 Example Media GmbH. All rights reserved.", "Example Media GmbH"),
        ("Design & Developed by Techsharks - Copyright © 2022", None),
    ],
)
def test_site_name_comes_from_the_copyright_line(line: str, name: str | None) -> None:
    assert site_name_from_copyright(line) == name


def test_german_page_furniture_is_removed_by_multilingual_cues() -> None:
    text = (
        "Startseite\nSuche\nMenü\n\n"
        "Der Stadtrat hat am Dienstag nach einer langen Debatte den neuen Haushalt beschlossen, "
        "wobei Mitglieder aller Fraktionen über Schulen, Straßen und die Kosten des Wohnens sprachen.\n"
        "Die Bürgermeisterin sagte, der Plan werde im Frühjahr erneut geprüft, wenn die ersten Zahlen "
        "zur neuen Steuer auf leerstehende Wohnungen vorliegen und zeigen, ob sie wirkt.\n"
        "Artikel teilen auf Facebook\n3 Kommentare\nAlle Rechte vorbehalten © 2022 Stadtblatt\n"
    )
    doc = run(text)
    assert len(doc.paragraphs) == 2
    assert {"share_prompt", "comment_counter", "copyright_footer", "navigation"} <= set(reasons(doc).values())
    assert doc.site_name == "Stadtblatt"


def test_hard_wrapped_paragraphs_are_joined() -> None:
    wrapped = (
        "The city council approved the new budget on Tuesday after a\n"
        "debate that lasted most of the day, with members from all\n"
        "parties speaking about schools, roads and housing costs.\n\n"
        "The mayor said the plan would be reviewed again in the\n"
        "spring, when the first figures from the new tax on empty\n"
        "homes are expected to show whether it is working.\n"
    )
    doc = run(wrapped)
    assert len(doc.paragraphs) == 2
    assert doc.paragraphs[0].startswith("The city council") and doc.paragraphs[0].endswith("housing costs.")


def test_photo_credit_becomes_a_caption() -> None:
    doc = run(f"{BODY}The mayor at the council meeting. Photo: Jane Smith/Reuters\n{BODY}")
    assert doc.captions == ["The mayor at the council meeting. Photo: Jane Smith/Reuters"]


def test_html_documents_are_left_alone() -> None:
    doc = Article(raw=b"", content_type="text/html", html="<p>x</p>", paragraphs=["kept as is"])
    ctx = StageContext(dedup_enabled=False)
    for stage in text_stages():
        doc = stage(doc, ctx)
    assert doc.paragraphs == ["kept as is"] and not doc.removed


def test_an_extractors_paragraphs_can_opt_in_to_the_line_rules() -> None:
    doc = Article(raw=b"", content_type="text/html")
    attach_paragraphs(doc, [*BODY.splitlines(), "Share on Facebook", "POST COMMENTS (0)"])
    ctx = StageContext(dedup_enabled=False)
    for stage in text_stages():
        doc = stage(doc, ctx)
    assert len(doc.paragraphs) == 2
    assert reasons(doc)["POST COMMENTS (0)"] == "comment_counter"


def test_normalising_repairs_mojibake_and_entities_but_leaves_clean_text_as_it_is() -> None:
    from ingest_worker.pipeline.normalise import normalise_text

    assert normalise_text("CafÃ© au lait, itâ€™s here") == "Café au lait, it’s here"
    assert normalise_text("Fish &amp; chips") == "Fish & chips"
    assert normalise_text("Schöne Grüße,  ‘quoted’\u00a0text") == "Schöne Grüße, ‘quoted’ text"
    assert normalise_text("e\u0301te\u0301") == "été"  # composed (NFC)
