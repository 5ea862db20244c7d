"""bench.job_pages reports each kind of read beside the API's floor, in the same run."""

from __future__ import annotations

from bench.job_pages import report


def test_the_report_has_a_row_per_read_and_ratios_to_healthz() -> None:
    times = {"GET /healthz": [2.0, 2.0, 4.0], "page of 100 (default)": [6.0, 8.0, 10.0]}
    text = report(times, documents=100_000, reads=3, command="cmd")
    assert "| GET /healthz | 2.0 ms | 4.0 ms | 4.0 ms | 1.0x |" in text
    assert "| page of 100 (default) | 8.0 ms | 10.0 ms | 10.0 ms | 4.0x |" in text
    assert "100,000 documents" in text and "`cmd`" in text
