"""Short factual reports are articles; pages with no article text are not.

Wire briefs, earnings tables, results and price lists are a few short lines full of figures:
they must be stored with every figure in the text. A cookie wall, a navigation page, a login
form or an error page has no article text and must be rejected. Both as plain text and as HTML.
"""

from __future__ import annotations

import html

import pytest

from ingest_core.schema import DocStatus
from ingest_worker.offline import make_offline_context
from ingest_worker.pipeline import build_pipeline
from ingest_worker.process import DocumentInput, Outcome, process_document

REPORTS = {
    "earnings": (
        "ACME CORP <ACME> 3RD QTR NET\n"
        "STAMFORD, Oct 20 - Shr 86 cts vs 96 cts\n"
        "    Net 297 mln vs 325 mln\n"
        "    Revs 2.95 billion vs 2.86 billion\n"
    ),
    "earnings_with_agency": (
        "Nordwind Shipping Q2 results\n"
        "OSLO, Aug 14 (Reuters) - Nordwind Shipping ASA reported:\n"
        "Revenue NOK 1.42 bln (Q2 2023: 1.31 bln)\n"
        "EBITDA NOK 388 mln (412 mln)\n"
        "Net profit NOK 96 mln (120 mln)\n"
        "Dividend per share NOK 2.50\n"
    ),
    "sports_results": (
        "SOCCER-Spanish league results\n"
        "MADRID, March 9 - Results of Spanish first division matches on Sunday:\n"
        "Real Betis 2 Getafe 0\n"
        "Valencia 1 Sevilla 1\n"
        "Athletic Bilbao 3 Osasuna 1\n"
        "Played on Saturday:\n"
        "Girona 0 Villarreal 2\n"
    ),
    "commodity_prices": (
        "LME closing prices\n"
        "LONDON, June 5 - Official closing prices on the London Metal Exchange, in U.S. dollars per tonne:\n"
        "Copper 8,412.50\n"
        "Aluminium 2,231.00\n"
        "Zinc 2,604.00\n"
        "Nickel 16,880\n"
    ),
    "two_sentence_brief": (
        "Ferry services resume\n"
        "Ferry services between Dover and Calais resumed on Tuesday. "
        "Operators expect delays of up to 90 minutes.\n"
    ),
    "daily_prices": (
        "Oil prices\nBrent crude settled at $81.20 a barrel on Monday 3 March.\nWTI ended at $77.45.\n"
    ),
    "list_in_the_body": (
        "Film awards announced\n"
        "The jury named the winners on Friday:\n"
        "- Best film: The Long Road (2 awards)\n"
        "- Best actress: Ana Ruiz, 34\n"
        "- Best director: Tom Berg, 3rd nomination\n"
    ),
}
#: The figures each report must keep in its text.
FIGURES = {
    "earnings": ["86 cts vs 96 cts", "297 mln vs 325 mln", "2.95 billion vs 2.86 billion"],
    "earnings_with_agency": ["1.42 bln", "388 mln (412 mln)", "96 mln (120 mln)", "NOK 2.50"],
    "sports_results": ["Real Betis 2 Getafe 0", "Valencia 1 Sevilla 1", "Osasuna 1", "Girona 0 Villarreal 2"],
    "commodity_prices": ["Copper 8,412.50", "Aluminium 2,231.00", "Zinc 2,604.00", "Nickel 16,880"],
    "two_sentence_brief": ["up to 90 minutes"],
    "daily_prices": ["$81.20", "Monday 3 March", "$77.45"],
    "list_in_the_body": ["(2 awards)", "Ana Ruiz, 34", "3rd nomination"],
}
NOT_ARTICLES = {
    "cookie_wall": (
        "We value your privacy\n"
        "We use cookies and similar technologies to improve your experience, measure traffic and show "
        "personalised ads.\n"
        'By clicking "Accept all" you consent to our use of cookies. You can change your choice at any '
        "time in Cookie settings.\n"
        "Accept all\nReject all\nCookie settings\n"
    ),
    "navigation_page": (
        "Home\nNews\nSport\nBusiness\nCulture\nWeather\nContact us\nPrivacy policy\n© 2024 Example Media\n"
    ),
    "menu_links": "Politics | Economy | World | Sport\nOpinion | Culture | Travel\nSubscribe | Sign in\n",
    "login_page": (
        "Sign in\nEmail address\nPassword\nForgot your password?\nRemember me\nSign in\n"
        "Don't have an account? Register now.\n"
    ),
    "page_not_found": (
        "404\nPage not found\nSorry, the page you are looking for does not exist or has been moved.\n"
        "Go to homepage\nSearch\n"
    ),
    "german_error_page": (
        "Startseite\nSeite nicht gefunden\n"
        "Die angeforderte Seite wurde leider nicht gefunden.\nKontakt\nImpressum\n"
    ),
}


def _as_html(text: str) -> str:
    lines = [line.strip() for line in text.strip().split("\n")]
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines[1:])
    head = html.escape(lines[0])
    article = f"<article><h1>{head}</h1>{body}</article>"
    return f"<html lang='en'><head><title>{head}</title></head><body>{article}</body></html>"


def _process(text: str, content_type: str) -> Outcome:
    raw = (text if content_type == "text/plain" else _as_html(text)).encode()
    item = DocumentInput(raw=raw, collection="test", filename="doc", content_type=content_type)
    return process_document(item, build_pipeline(), make_offline_context(dedup=False), record_id="01TEST")


@pytest.mark.parametrize("content_type", ["text/plain", "text/html"])
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_short_report_is_stored_with_its_figures(name: str, content_type: str) -> None:
    outcome = _process(REPORTS[name], content_type)
    assert outcome.status == DocStatus.stored, outcome.error
    assert outcome.record is not None
    for figures in FIGURES[name]:
        assert figures in outcome.record.text


@pytest.mark.parametrize("content_type", ["text/plain", "text/html"])
@pytest.mark.parametrize("name", sorted(NOT_ARTICLES))
def test_a_page_without_article_text_is_rejected(name: str, content_type: str) -> None:
    outcome = _process(NOT_ARTICLES[name], content_type)
    assert outcome.status == DocStatus.rejected
    assert outcome.error is not None and "no article text" in outcome.error


def test_a_short_reports_headline_and_dateline_become_metadata() -> None:
    outcome = _process(REPORTS["earnings"], "text/plain")
    assert outcome.record is not None
    assert outcome.record.title == "ACME CORP <ACME> 3RD QTR NET"
    assert outcome.record.dateline is not None and outcome.record.dateline.place == "Stamford"
    assert outcome.record.text.startswith("Shr 86 cts vs 96 cts")


def test_a_short_reports_agency_dateline_is_kept() -> None:
    outcome = _process(REPORTS["earnings_with_agency"], "text/plain")
    assert outcome.record is not None and outcome.record.dateline is not None
    assert (outcome.record.dateline.place, outcome.record.dateline.agency) == ("Oslo", "Reuters")
