"""Recurring reports that differ only in figures, days and dates are never duplicates;
reformatted and re-headed copies with the same figures and dates still are."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.dedup import MemoryDedupIndex
from ingest_worker.pipeline.dedup.minhash import calendar_spans, fingerprint
from ingest_worker.pipeline.normalise import content_hash

OIL = (
    "Oil prices: Brent at $81.20 on Monday 3 March\n\n"
    "Brent crude futures settled at $81.20 a barrel on Monday 3 March, while U.S. West Texas Intermediate "
    "crude ended the session at $77.45. Traders said the market was waiting for the OPEC+ meeting, where "
    "producers are expected to keep their output cuts of 2.2 million barrels per day in place until the end "
    "of June. Analysts at the bank said inventories in the United States were likely to have risen last "
    "week, and that demand from refiners in Asia remained weak ahead of the maintenance season."
)
OIL_NEXT_DAY = (
    "Oil prices: Brent at $80.95 on Tuesday 4 March\n\n"
    "Brent crude futures settled at $80.95 a barrel on Tuesday 4 March, while U.S. West Texas Intermediate "
    "crude ended the session at $77.10. Traders said the market was waiting for the OPEC+ meeting, where "
    "producers are expected to keep their output cuts of 2.2 million barrels per day in place until the end "
    "of June. Analysts at the bank said inventories in the United States were likely to have risen last "
    "week, and that demand from refiners in Asia remained weak ahead of the maintenance season."
)
RESULTS_Q1 = (
    "Nordwind Shipping reports first-quarter results\n\n"
    "OSLO - Nordwind Shipping ASA said on Thursday 25 April that revenue for the first quarter rose to "
    "NOK 1.31 billion from NOK 1.18 billion a year earlier. EBITDA was NOK 388 million and net profit NOK "
    "96 million. The company kept its dividend at NOK 2.50 per share and said its fleet of 42 vessels was "
    "fully booked for the season. Chief executive Kari Lund said the outlook for the rest of the year was "
    "stable, with freight rates in the North Sea holding up better than expected."
)
RESULTS_Q2 = (
    "Nordwind Shipping reports second-quarter results\n\n"
    "OSLO - Nordwind Shipping ASA said on Thursday 22 August that revenue for the second quarter rose to "
    "NOK 1.42 billion from NOK 1.18 billion a year earlier. EBITDA was NOK 412 million and net profit NOK "
    "120 million. The company kept its dividend at NOK 2.50 per share and said its fleet of 42 vessels was "
    "fully booked for the season. Chief executive Kari Lund said the outlook for the rest of the year was "
    "stable, with freight rates in the North Sea holding up better than expected."
)
POLLEN = (
    "Pollen and air quality forecast for Monday, March 3\n\n"
    "Tree pollen levels will be high across the region on Monday, March 3, with birch and alder the main "
    "sources. Grass pollen remains low. Air quality is expected to be good, with an index of 3 out of 10 in "
    "the city centre and 2 out of 10 in the suburbs. People with asthma should keep their inhalers with "
    "them when they go outside, and keep windows closed during the afternoon, when counts are highest. "
    "The next forecast will be published tomorrow at 6 am."
)
POLLEN_NEXT_DAY = POLLEN.replace("Monday, March 3", "Tuesday, March 4")
FUEL = (
    "Fuel prices for the week ending 7 March\n\n"
    "The average price of petrol at the pump was 1.85 euros a litre in the week ending 7 March, the ministry "
    "said in its weekly report. Diesel cost 1.72 euros, and heating oil 98.40 euros per 100 litres. The "
    "cheapest region was the south, at 1.79 euros, and the most expensive the capital, at 1.91 euros. The "
    "ministry publishes the figures every Friday, based on reports from more than 9,000 stations across the "
    "country."
)
FUEL_NEXT_WEEK = FUEL.replace("7 March", "14 March").replace("1.72", "1.73")
INFLATION = (
    "Inflation steady in March\n\n"
    "Consumer prices rose 2.4 percent in March from a year earlier, the statistics office said, the same "
    "rate as economists had expected. Food prices were up 3.1 percent and energy prices down 1.2 percent. "
    "Core inflation, which excludes food and energy, stood at 2.8 percent. The central bank aims for "
    "inflation of 2 percent over the medium term and meets again in six weeks to decide on interest rates, "
    "which have been held at 3.75 percent since last autumn."
)
INFLATION_NEXT_MONTH = INFLATION.replace("in March", "in April").replace("3.1 percent", "2.9 percent")
FIXTURES = (
    "Bundesliga: die Spiele am Samstag, 8. März\n\n"
    "Am Samstag, 8. März, beginnen die Nachmittagsspiele wie gewohnt um 15:30 Uhr, das Topspiel des Tages "
    "wird um 18:30 Uhr angepfiffen. Der Tabellenführer hat nach 24 Spielen 58 Punkte und einen Vorsprung "
    "von 6 Punkten. Alle Spiele werden live im Radio übertragen, die Zusammenfassungen gibt es ab 22 Uhr "
    "im Fernsehen. Karten für die Heimspiele sind nur noch im Vorverkauf erhältlich, an den Tageskassen "
    "gibt es keine Restkarten mehr."
)
FIXTURES_NEXT_WEEK = FIXTURES.replace("Samstag, 8. März", "Samstag, 15. März")

STRIKE = (
    "Ferry strike goes on\n\n"
    "The ferry strike entered day 3 on the northern routes, the union said, with 1,200 crew members "
    "refusing to sail until the operator returns to the table. Passengers were advised to book seats on "
    "the coastal trains, which added carriages for the week. The operator said talks could resume once "
    "the union dropped its demand for a new rota, and the ministry urged both sides to meet again soon."
)
STRIKE_NEXT_DAY = STRIKE.replace("day 3", "day 4")
STRIKE_UPDATE_ONE, STRIKE_UPDATE_TWO = (
    STRIKE.replace("day 3", f"day {day}") + f"\n\nUpdate number {number}."
    for day, number in ((1, 7), (2, 1590))
)
STRIKE_DAY_TEN, STRIKE_DAY_ONE = (
    STRIKE.replace("day 3", f"day {day}").replace("1,200", crew)
    for day, crew in (("10", "79190"), ("1", "7919"))
)
RECURRING = [
    ("daily strike report, only the day number differs", STRIKE, STRIKE_NEXT_DAY),
    ("strike report, day 10 against day 1 and a figure a digit longer", STRIKE_DAY_TEN, STRIKE_DAY_ONE),
    ("daily strike report, the day and an update number differ", STRIKE_UPDATE_ONE, STRIKE_UPDATE_TWO),
    ("daily oil prices, next day", OIL, OIL_NEXT_DAY),
    ("quarterly results of one company", RESULTS_Q1, RESULTS_Q2),
    ("daily forecast, only the day and date differ", POLLEN, POLLEN_NEXT_DAY),
    ("weekly fuel prices, the week's date and one figure differ", FUEL, FUEL_NEXT_WEEK),
    ("monthly inflation, the month and one figure differ", INFLATION, INFLATION_NEXT_MONTH),
    ("weekly fixtures in German, only the date differs", FIXTURES, FIXTURES_NEXT_WEEK),
]

REFORMATTED_OIL = (
    OIL.replace("\n\n", "\n")
    .replace(". ", ".\n\n")
    .replace("$", "US$ ")
    .replace("Monday 3 March", "Monday, 3 March")
)
REHEADED_POLLEN = (
    "Metro Wire | Published Tuesday 4 March 2025, 06:10 | Updated 08:45\n\n"
    "Weather: high tree pollen today\n\n"
    + POLLEN.split("\n\n", 1)[1]
    + "\n\nShare on Facebook  Share on X  Email"
)
CUT_RESULTS = (
    "Shipping: Nordwind profit up\n\nPosted 26 April 2025\n\n"
    + RESULTS_Q1.split("\n\n", 1)[1].rsplit(" Chief executive", 1)[0]
)
COPIES = [
    ("reformatted copy of the oil report", OIL, REFORMATTED_OIL),
    ("re-headed copy of the forecast with a dated header", POLLEN, REHEADED_POLLEN),
    ("cut copy of the results with another headline and date line", RESULTS_Q1, CUT_RESULTS),
]


def _duplicate_of(first: str, second: str) -> str | None:
    index = MemoryDedupIndex(threshold=0.6, report_threshold=0.5)
    index.check_and_add("c", "first", content_hash(first), fingerprint(first))
    return index.check_and_add("c", "second", content_hash(second), fingerprint(second)).duplicate_of


@pytest.mark.parametrize(("why", "first", "second"), RECURRING, ids=[case[0] for case in RECURRING])
def test_a_recurring_report_is_not_a_duplicate_of_the_last_edition(why: str, first: str, second: str) -> None:
    assert first != second
    assert _duplicate_of(first, second) is None
    assert _duplicate_of(second, first) is None


@pytest.mark.parametrize(("why", "original", "copy"), COPIES, ids=[case[0] for case in COPIES])
def test_a_copy_with_the_same_figures_and_dates_is_a_duplicate(why: str, original: str, copy: str) -> None:
    assert _duplicate_of(original, copy) == "first"
    assert _duplicate_of(copy, original) == "first"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("brent at $81.20 on monday 3 march, while", ["3.3"]),
        ("on tuesday, march 4, with birch", ["4.3"]),
        ("am samstag, 8. märz, beginnen", ["8.3"]),
        ("12 de marzo de 2020", ["12.3"]),
        ("prices rose in april from", ["m4"]),
        ("results due on friday", ["w5"]),
        ("3 out of 10 in the city", []),
        ("it may rain", []),
    ],
)
def test_dates_weekdays_and_months_are_calendar_figures(text: str, values: list[str]) -> None:
    assert [value for _, _, value, length in calendar_spans(text) if length] == values


@pytest.mark.parametrize(
    "stamp", ["published tuesday 4 march 2025, 06:10", "posted 26 april 2025", "13 march 2024 at 10:30"]
)
def test_a_publication_stamp_dates_the_page_not_the_report(stamp: str) -> None:
    assert [length for _, _, _, length in calendar_spans(stamp)] == [0]
