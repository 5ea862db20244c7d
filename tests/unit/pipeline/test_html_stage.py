"""The HTML stage: article text in, page furniture out, captions and metadata into their fields."""

from __future__ import annotations

import json

from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.authors import clean_authors
from ingest_worker.pipeline.base import Article, StageContext
from ingest_worker.pipeline.html import ExtractHtml
from ingest_worker.pipeline.html.meta import iso_timestamp
from ingest_worker.pipeline.profiles import MemorySourceProfiles

PARAGRAPHS = [
    "The city council approved the new transport plan on Tuesday after a debate that lasted "
    "more than six hours and drew hundreds of residents to the town hall.",
    "Under the plan, bus lines will run every ten minutes during the day, and two new tram "
    "routes will connect the northern districts with the central station by 2026.",
    "Critics said the cost of the project had been underestimated, while supporters argued "
    "that the city could not afford to wait any longer for better public transport.",
    "The mayor said construction would begin in the spring and promised regular updates "
    "for residents living along the planned routes.",
]


def page(
    body: str = "",
    *,
    head: str = "",
    paragraphs: list[str] | None = None,
    lang: str = "en",
) -> str:
    text = "".join(f"<p>{p}</p>" for p in (PARAGRAPHS if paragraphs is None else paragraphs))
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><title>Transport plan approved | City News</title>{head}"
        "</head><body><header><nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li>"
        "<li><a href='/sport'>Sport</a></li></ul></nav></header>"
        f"<main><article><h1>Transport plan approved</h1>{text}{body}</article></main>"
        "<footer><p>© 2024 City News. All rights reserved.</p><a href='/imprint'>Imprint</a></footer>"
        "</body></html>"
    )


def run(html: str, ctx: StageContext | None = None, **fields: str) -> Article:
    doc = Article(raw=html.encode(), content_type="text/html", html=html, **fields)  # type: ignore[arg-type]
    return ExtractHtml()(doc, ctx or StageContext(dedup_enabled=False))


def removed(doc: Article) -> dict[str, str]:
    return {line.text: line.reason for line in doc.removed}


def test_article_paragraphs_are_extracted_one_per_paragraph() -> None:
    doc = run(page())
    assert doc.paragraphs == PARAGRAPHS
    assert doc.extractor and doc.extractor.startswith("trafilatura")


def test_navigation_and_footer_are_not_in_the_body() -> None:
    body = "\n".join(run(page()).paragraphs)
    assert "Home" not in body and "Sport" not in body
    assert "All rights reserved" not in body and "Imprint" not in body


def test_share_prompts_and_read_more_teasers_are_removed_with_their_reason() -> None:
    extra = (
        "<p>Read more: Council votes on new parking fees</p>"
        "<p>Follow us on Twitter and Facebook for the latest news.</p>"
        "<p>Sign up for our daily newsletter</p>"
    )
    doc = run(page(extra))
    assert doc.paragraphs == PARAGRAPHS
    reasons = removed(doc)
    assert reasons["Read more: Council votes on new parking fees"] == "read more"
    assert reasons["Follow us on Twitter and Facebook for the latest news."] == "follow prompt"
    assert reasons["Sign up for our daily newsletter"] == "subscription prompt"


def test_headlines_under_a_related_heading_are_removed_as_links() -> None:
    extra = "<h2>Related articles</h2><p>Mayor opens new bridge</p><p>Budget talks stall again</p>"
    doc = run(page(extra))
    assert doc.paragraphs == PARAGRAPHS
    assert removed(doc)["Budget talks stall again"] == "related-article link"


def test_a_sentence_that_mentions_a_newsletter_stays() -> None:
    sentence = (
        "The council also said it would publish the timetable in its monthly newsletter, which "
        "is sent to every household in the city, and on its website before the end of the year."
    )
    assert sentence in run(page(paragraphs=[*PARAGRAPHS, sentence])).paragraphs


def test_figure_captions_go_to_captions_not_the_body() -> None:
    figure = (
        "<figure><img src='tram.jpg'><figcaption>A tram at the central station. Photo: Jane Doe"
        "</figcaption></figure>"
    )
    doc = run(page(figure))
    assert "A tram at the central station. Photo: Jane Doe" in doc.captions
    assert all("central station. Photo" not in p for p in doc.paragraphs)


def test_a_photo_credit_line_in_the_body_moves_to_captions() -> None:
    doc = run(page("<p>Photo: Reuters/John Smith</p>"))
    assert "Photo: Reuters/John Smith" in doc.captions
    assert removed(doc)["Photo: Reuters/John Smith"] == "photo credit"


def test_json_ld_gives_title_authors_and_a_full_timestamp() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Transport plan approved",
        "datePublished": "2024-03-05T14:30:00+01:00",
        "author": [{"@type": "Person", "name": "Anna Berg"}, {"@type": "Person", "name": "Tom Lee"}],
        "publisher": {"@type": "Organization", "name": "City News"},
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    doc = run(page(head=head))
    assert doc.title == "Transport plan approved"
    assert doc.authors == ["Anna Berg", "Tom Lee"]
    assert doc.published_at == "2024-03-05T14:30:00+01:00"
    assert doc.site_name == "City News"


def test_meta_tags_give_description_site_name_url_and_a_date_only_when_only_the_date_is_known() -> None:
    head = (
        "<meta name='description' content='The council approved the plan.'>"
        "<meta property='og:site_name' content='City News'>"
        "<link rel='canonical' href='https://citynews.example/transport-plan'>"
        "<meta property='article:published_time' content='2024-03-05'>"
    )
    doc = run(page(head=head))
    assert doc.description == "The council approved the plan."
    assert doc.site_name == "City News"
    assert doc.source_url == "https://citynews.example/transport-plan"
    assert doc.published_at == "2024-03-05"


def test_the_uploaders_fields_win_over_the_page() -> None:
    doc = run(page(head="<meta property='og:title' content='Page title'>"), title="Declared title")
    assert doc.title == "Declared title"


def test_timestamps_are_normalised_to_iso_8601() -> None:
    assert iso_timestamp("2021-07-01T10:20:00Z") == "2021-07-01T10:20:00+00:00"
    assert iso_timestamp("2021-07-01T10:20:00+0430") == "2021-07-01T10:20:00+04:30"
    assert iso_timestamp("2021-07-01") == "2021-07-01"
    assert iso_timestamp("2021-07-01T00:00:00") == "2021-07-01"
    assert iso_timestamp("not a date") is None
    assert iso_timestamp("0001-01-01T00:00:00Z") is None


def test_bylines_are_split_into_names() -> None:
    assert clean_authors(["Anna Berg; Tom Lee"]).authors == ["Anna Berg", "Tom Lee"]
    assert clean_authors(["Anna Berg and Tom Lee"]).authors == ["Anna Berg", "Tom Lee"]


def test_a_german_page_keeps_its_text_and_loses_its_teasers() -> None:
    paragraphs = [
        "Der Stadtrat hat am Dienstag nach einer mehr als sechsstündigen Debatte den neuen "
        "Verkehrsplan beschlossen, zu der Hunderte Bürgerinnen und Bürger gekommen waren.",
        "Künftig sollen die Busse tagsüber alle zehn Minuten fahren, und zwei neue Straßenbahnlinien "
        "werden die nördlichen Stadtteile bis 2026 mit dem Hauptbahnhof verbinden.",
        "Kritiker bemängelten, die Kosten seien zu niedrig angesetzt, während Befürworter sagten, "
        "die Stadt könne nicht länger auf einen besseren Nahverkehr warten.",
    ]
    extra = "<p>Lesen Sie auch: Neue Parkgebühren in der Innenstadt</p><p>Anzeige</p>"
    doc = run(page(extra, paragraphs=paragraphs, lang="de"))
    assert doc.paragraphs == paragraphs
    assert doc.page_language == "de"


def test_a_line_the_source_repeats_on_many_pages_is_removed_once_the_source_is_known() -> None:
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    signoff = "Reporting by the City News desk team"
    docs = []
    for number in range(8):
        unique = f"Story number {number} is about a different topic than all the other stories today."
        html = page(paragraphs=[unique, *PARAGRAPHS[1:], signoff])
        docs.append(run(html, ctx, source_name="City News"))
    assert signoff in docs[0].paragraphs
    assert signoff not in docs[-1].paragraphs
    assert removed(docs[-1])[signoff] == "recurs on this source"


def test_the_whole_pipeline_joins_paragraphs_with_one_blank_line() -> None:
    html = page()
    doc = build_pipeline().run(
        Article(raw=html.encode(), declared_content_type="text/html", filename="plan.html"),
        StageContext(dedup_enabled=False),
    )
    assert doc.body == "\n\n".join(PARAGRAPHS)
    assert doc.language == "en"


def test_a_wire_dateline_in_an_html_article_fills_the_dateline_and_leaves_the_body() -> None:
    wire = ["Moscow [Russia], July 2 (ANI): " + PARAGRAPHS[0], *PARAGRAPHS[1:]]
    doc = build_pipeline().run(
        Article(raw=page(paragraphs=wire).encode(), filename="wire.html"), StageContext(dedup_enabled=False)
    )
    assert (doc.dateline_place, doc.dateline_agency) == ("Moscow, Russia", "ANI")
    assert doc.body.startswith("The city council approved")
    assert any(r.reason == "dateline" and r.text == "Moscow [Russia], July 2 (ANI):" for r in doc.removed)
