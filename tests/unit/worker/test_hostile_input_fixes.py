"""Inputs the hostile-input table (tests/integration/test_hostile_inputs.py) found wrong, read
offline by the same splitter and pipeline the API and the workers use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest_worker.offline import run_offline
from ingest_worker.pipeline.formats.markdown import markdown_text
from tests import format_samples as samples

TEXT = "\n\n".join(samples.story("Hostile fixes", 4))
ESCAPED = TEXT.replace("\n", "\\n")


def _rows(tmp_path: Path, name: str, body: bytes) -> list[dict[str, Any]]:
    path = tmp_path / name
    path.write_bytes(body)
    return list(run_offline([str(path)], dedup=False))


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("nan.jsonl", b'{"id": NaN, "text": "a"}\n{"id": 1e99999, "text": "b"}\n'),
        ("digits.jsonl", b'{"id": ' + b"9" * 5000 + b', "text": "c"}\n'),
        ("digits.json", b'{"id": ' + b"9" * 5000 + b', "text": "c"}'),
        ("digits-array.json", b'[{"id": ' + b"9" * 5000 + b', "text": "c"}]'),
    ],
)
def test_json_numbers_python_cannot_hold_are_rejected_not_raised(
    tmp_path: Path, name: str, body: bytes
) -> None:
    rows = _rows(tmp_path, name, body)
    assert rows and all(row["status"] == "rejected" and row["error"] for row in rows)


def test_lone_surrogate_escapes_in_json_lines_become_replacement_characters(tmp_path: Path) -> None:
    line = '{"id": "s\\ud800", "title": "\\udc00 Harbour", "text": "\\ud800 ' + ESCAPED + ' \\udfff"}\n'
    [row] = _rows(tmp_path, "s.jsonl", line.encode())
    assert row["status"] == "stored", row
    record = row["record"]
    assert record["source"]["external_id"] == "s\ufffd"
    record["text"].encode("utf-8")
    assert "Hostile fixes" in record["text"]


def test_an_xml_document_whose_dtd_outgrows_the_sniffed_head_is_parsed_not_stored_as_markup(
    tmp_path: Path,
) -> None:
    paragraphs = "".join(f"<para>{p}</para>" for p in TEXT.split("\n\n"))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE doc [<!ENTITY a "{"x" * 50_000}">]>'
        f"<doc><para>{'&a;' * 1000}</para>{paragraphs}</doc>"
    ).encode()
    [row] = _rows(tmp_path, "quad.xml", body)
    if row["status"] == "stored":
        text = row["record"]["text"]
        assert "<" not in text and "xxxxxxxxxx" not in text
    else:
        assert row["status"] == "rejected" and row["error"]


def test_a_json_lines_text_that_is_a_whole_html_document_is_read_as_html(tmp_path: Path) -> None:
    page = samples.html_page("Hostile fixes", TEXT.split("\n\n")).replace(
        "</article>", "<script>alert(1)</script></article>"
    )
    line = '{"id": "h1", "text": ' + json.dumps(page) + "}\n"
    [row] = _rows(tmp_path, "h.jsonl", line.encode())
    assert row["status"] == "stored", row
    text = row["record"]["text"]
    assert "<" not in text and "alert(" not in text and "Hostile fixes" in text


def test_a_page_of_forms_alone_is_rejected_not_stored_as_button_labels(tmp_path: Path) -> None:
    form = "<form action='/x'><input name='a'><select><option>One</option></select><button>Go</button></form>"
    [row] = _rows(tmp_path, "f.html", f"<html><body>{form * 50}</body></html>".encode())
    assert row["status"] == "rejected", row


def test_script_and_style_in_markdown_html_are_dropped_with_their_content() -> None:
    source = (
        "# Title\n\n<script>\nalert(1)\n</script>\n\n<style>p { color: red }</style>\n\n"
        "Inline <script>alert(2)</script> words stay. <b>bold</b> too.\n\n"
        "<div>kept <iframe>gone</iframe></div>\n"
    )
    text = markdown_text(source)
    assert "alert" not in text and "color" not in text and "gone" not in text
    assert "Inline words stay. bold too." in text and "kept" in text
