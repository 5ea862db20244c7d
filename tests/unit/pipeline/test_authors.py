"""Authors are people: one cleaning rule for HTML and plain-text bylines, case by case."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.authors import clean_authors
from ingest_worker.pipeline.base import Article, StageContext

CASES: list[tuple[str, list[str], str | None]] = [
    # (byline as found, authors kept, agency credited)
    # people are kept
    ("Jane Doe", ["Jane Doe"], None),
    ("Jean-Pierre Dupont", ["Jean-Pierre Dupont"], None),
    ("Juan de la Cruz", ["Juan de la Cruz"], None),
    ("Ludwig van Beethoven", ["Ludwig van Beethoven"], None),
    ("Matthew d'Ancona", ["Matthew d'Ancona"], None),
    # titles are not part of the name
    ("Dr. Jane Doe", ["Jane Doe"], None),
    ("Rechtsanwalt Dennis Tölle", ["Dennis Tölle"], None),
    ("Frau Anna Berg", ["Anna Berg"], None),
    ("Herr Rein", [], None),
    ("J. K. Rowling", ["J. K. Rowling"], None),
    ("Иван Петров", ["Иван Петров"], None),
    ("李明", ["李明"], None),
    ("JOHN SMITH", ["JOHN SMITH"], None),
    ("Written by Jane Doe", ["Jane Doe"], None),
    ("di Mario Rossi", ["Mario Rossi"], None),
    # several names are several authors
    ("By John Smith and Jane Doe", ["John Smith", "Jane Doe"], None),
    ("Von Max Mustermann und Erika Musterfrau", ["Max Mustermann", "Erika Musterfrau"], None),
    ("Por Juan Pérez y Ana Gómez", ["Juan Pérez", "Ana Gómez"], None),
    ("Ana Santos e Luis Costa", ["Ana Santos", "Luis Costa"], None),
    ("Mario Rossi; Luca Bianchi", ["Mario Rossi", "Luca Bianchi"], None),
    ("Matthias Hille - Lukas Balbach", ["Matthias Hille", "Lukas Balbach"], None),
    ("Jane Doe & John Roe", ["Jane Doe", "John Roe"], None),
    ("Jane Doe, John Roe and Max Mustermann", ["Jane Doe", "John Roe", "Max Mustermann"], None),
    # roles, places and outlets beside a name are dropped, the name kept
    ("Jane Doe, Senior Correspondent", ["Jane Doe"], None),
    ("John Smith | The Guardian", ["John Smith"], None),
    ("Anna Kowalska, Warszawa", ["Anna Kowalska"], None),
    # the byline's date is not part of the name
    ("Janic Cathomen, 01.12.2021", ["Janic Cathomen"], None),
    ("Kathrin Führes am 26.01.2022", ["Kathrin Führes"], None),
    # an agency byline is kept, as the agency (and is the dateline's agency)
    ("Reuters", ["Reuters"], "Reuters"),
    ("AFP", ["AFP"], "AFP"),
    ("dpa", ["dpa"], "dpa"),
    ("dpa am 25.01.2022", ["dpa"], "dpa"),
    ("By The Associated Press", ["The Associated Press"], "The Associated Press"),
    ("Reuters Staff", ["Reuters"], "Reuters"),
    ("Agencia EFE", ["Agencia EFE"], "Agencia EFE"),
    ("ANI", ["ANI"], "ANI"),
    ("dpa/lni", ["dpa"], "dpa"),
    # beside people, or named as a source, the agency is only the agency credit
    ("Jane Doe, Reuters", ["Jane Doe"], "Reuters"),
    ("Jane Doe (AFP)", ["Jane Doe"], "AFP"),
    ("Jane Doe, AP Business Writer", ["Jane Doe"], "AP"),
    ("mit Material von dpa", [], "dpa"),
    ("Source: Reuters", [], "Reuters"),
    # sites, domains, handles, credits, desks and labels are not people
    ("Facebook Com", [], None),
    ("Www Portalspozywczy Pl", [], None),
    ("Źródło Statista com", [], None),
    ("Cortesía", [], None),
    ("Autor Jd", [], None),
    ("Statista.com", [], None),
    ("https://www.facebook.com/janedoe", [], None),
    ("@janedoe", [], None),
    ("jane.doe@example.com", [], None),
    ("Facebook", [], None),
    ("Source: Statista", [], None),
    ("Photo: John Smith", [], None),
    ("Courtesy of Acme Inc", [], None),
    ("Redacción", [], None),
    ("Redaktion", [], None),
    ("Staff", [], None),
    ("admin", [], None),
    ("BBC News", [], None),
    ("Editorial Team", [], None),
    ("Ap Smith 2", [], None),
    ("vom Krimiblogger", [], None),
    ("/domena publiczna", [], None),
    ("责任编辑：孔德明", [], None),
    # placeholders where a CMS has no author are nobody
    ("No Author", [], None),
    ("Unknown Author", [], None),
    # organisations are not people, however name-like
    ("Deutsches Rotes Kreuz", [], None),
    ("Deutscher Caritasverband e. V.", [], None),
    ("Bündnis 90/Die Grünen Bundestagsfraktion", [], None),
    ("Verein Historische Wehranlage", [], None),
    ("Auswärtiges Amt", [], None),
    ("Diakonie Deutschland", [], None),
    ("Attac France", [], None),
    ("SWR Sport", [], None),
    ("EFC Bayrische Bembel", [], None),
    ("Eidgenössisches Departement für Wirtschaft, Bildung und Forschung WBF", [], None),
    ("TOUR Magazin", [], None),
    ("IT Finanzmagazin", [], None),
    ("Hamburger Morgenzeitung", [], None),
    ("revamp-it Webteam", [], None),
    ("Besserwisser eG", [], None),
    ("Müller GmbH & Co. KG", [], None),
    ("Prisma Média", [], None),
    # a surname in capitals is still a name
    ("Chokri GHARBI", ["Chokri GHARBI"], None),
    # the website's makers, theme and comment lines are not the article's authors
    ("Catch Themes", [], None),
    ("Peter Amende; Fuchsy designed; Harald Bauer", ["Harald Bauer"], None),
    ("selbst ist der Mann", [], None),
    ("Stephangoeldi Said", [], None),
    ("so Artikel empfehlen", [], None),
    ("Linksc Creating Search Engine Api", [], None),
]


@pytest.mark.parametrize(("byline", "authors", "agency"), CASES, ids=[case[0] for case in CASES])
def test_a_byline_is_cleaned_to_people_and_the_agency(
    byline: str, authors: list[str], agency: str | None
) -> None:
    credits = clean_authors([byline])
    assert (credits.authors, credits.agency) == (authors, agency)


def test_the_same_person_twice_is_one_author_and_the_first_agency_wins() -> None:
    credits = clean_authors(["Jane Doe", "By Jane Doe", "AFP", "Reuters"])
    assert (credits.authors, credits.agency) == (["Jane Doe"], "AFP")


BODY = (
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day, "
    "with members from all parties speaking about schools, roads and the cost of housing in the city.\n"
    "The mayor said the plan would be reviewed again in the spring, when the first figures from the "
    "new tax on empty homes are expected to show whether the measure is working as intended.\n"
)


def _run(raw: bytes, content_type: str) -> Article:
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=raw, declared_content_type=content_type)
    for stage in build_pipeline().stages:
        if stage.name in ("fingerprint", "dedup"):
            continue
        doc = stage(doc, ctx)
    return doc


def test_a_plain_text_byline_gives_people_and_the_agency() -> None:
    doc = _run(
        f"Council passes budget\n\nBy Jane Doe and John Roe, Reuters\n3 March 2022\n\n{BODY}".encode(),
        "text/plain",
    )
    assert doc.authors == ["Jane Doe", "John Roe"]
    assert doc.dateline_agency == "Reuters"


def _page(author_meta: str, byline: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY.strip().split("\n"))
    return (
        f'<html lang="en"><head><title>Council passes budget</title>'
        f'<meta name="author" content="{author_meta}"></head><body><article><h1>Council passes budget</h1>'
        f"{byline}{paragraphs}</article></body></html>"
    ).encode()


def test_a_site_in_the_author_meta_gives_way_to_the_printed_byline() -> None:
    doc = _run(_page("Facebook Com", '<p class="byline">By Jane Doe and John Roe</p>'), "text/html")
    assert doc.authors == ["Jane Doe", "John Roe"]


def test_an_agency_in_the_author_meta_is_the_author_and_the_agency_credit() -> None:
    doc = _run(_page("Reuters"), "text/html")
    assert doc.authors == ["Reuters"]
    assert doc.dateline_agency == "Reuters"


def test_an_organisation_in_the_author_meta_gives_way_to_the_printed_byline() -> None:
    doc = _run(
        _page("Deutsches Rotes Kreuz", '<p class="byline">Von Kirsten Freund, 01.12.2021</p>'), "text/html"
    )
    assert doc.authors == ["Kirsten Freund"]


def test_a_comment_author_is_not_the_article_author() -> None:
    comment = '<div class="comment_author vcard">Jane Commenter said, on August 3</div>'
    doc = _run(_page("", comment), "text/html")
    assert doc.authors == []


def test_a_source_credit_in_the_author_meta_is_nobody() -> None:
    doc = _run(_page("Źródło Statista com"), "text/html")
    assert doc.authors == []
    assert doc.dateline_agency is None
