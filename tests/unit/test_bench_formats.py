"""The format benchmark's pure helpers (timings are never asserted)."""

from __future__ import annotations

from bench.formats import Measure, cpu_ms_per_document, files_for, per_second, table


def test_rates_are_documents_per_second_and_cpu_ms_per_document() -> None:
    measure = Measure("pdf", documents=4, wall_seconds=2.0, cpu_seconds=0.2)
    assert per_second(4, 2.0) == 2.0
    assert cpu_ms_per_document(measure) == 50.0
    assert per_second(3, 0.0) == 0.0 and cpu_ms_per_document(Measure("x", 0, 1.0, 1.0)) == 0.0


def test_the_table_puts_plain_text_first_and_relates_each_format_to_it() -> None:
    rows = table([Measure("zip", 10, 1.0, 0.2), Measure("text", 10, 1.0, 0.1)]).splitlines()
    assert rows[2].startswith("| text | 10 | 10.0 | 10.0 | 1.00× |")
    assert rows[3] == "| zip | 10 | 10.0 | 20.0 | 2.00× |"


def test_containers_hold_every_article_in_one_file_and_leaf_formats_one_file_each() -> None:
    assert len(files_for("zip", 3)) == 1 and len(files_for("docx", 3)) == 3
    assert files_for("jsonl", 2)["batch.jsonl"].count(b"\n") == 2
