"""Leaf formats read by their own stage (PDF, DOCX, Markdown, email), then the text stages."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader, PdfWriter

from ingest_core.schema import DocStatus
from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.context import memory_context
from ingest_worker.pipeline.formats.pdf import pdf_text
from ingest_worker.process import DocumentInput, Outcome, process_document
from tests import format_samples as samples


def _run(name: str, raw: bytes, content_type: str | None = None) -> Outcome:
    ctx = memory_context()
    ctx.dedup_enabled = False
    item = DocumentInput(raw=raw, collection="c", filename=name, content_type=content_type)
    return process_document(item, build_pipeline(), ctx, record_id="01TESTRECORD")


def _stored(name: str, raw: bytes, content_type: str | None = None) -> dict[str, object]:
    outcome = _run(name, raw, content_type)
    assert outcome.status == DocStatus.stored, outcome.error
    assert outcome.record is not None
    return outcome.record.model_dump(mode="json")


def _paragraphs(topic: str) -> list[str]:
    return samples.story(topic, 3)


def test_a_pdf_is_read_without_running_headers_page_numbers_or_line_end_hyphens() -> None:
    first, second = _paragraphs("Harbour")[:2], _paragraphs("Tunnel")[:2]
    raw = samples.pdf(
        [
            ["Weekly Gazette - March edition", *samples.wrapped(first, 70), "- 1 -"],
            ["Weekly Gazette - March edition", *samples.wrapped(second, 70), "- 2 -"],
        ],
        title="Harbour and tunnel",
    )
    record = _stored("report.pdf", raw)
    text = str(record["text"])
    assert "Weekly Gazette" not in text and "- 1 -" not in text
    # wrapped lines joined, hyphens at line ends undone, nothing else lost
    assert " ".join(text.split()) == " ".join(first + second)
    assert all(paragraph in text for paragraph in first + second[:1])
    assert record["title"] == "Harbour and tunnel"
    source = record["source"]
    assert isinstance(source, dict) and source["content_type"] == "application/pdf"
    assert [stage["name"] for stage in record["pipeline"]["stages"]][:2] == ["detect", "pdf"]  # type: ignore[index]


def test_line_end_hyphenation_is_undone_only_before_a_lower_case_continuation() -> None:
    text = pdf_text(["The inter-\nnational desk filed it, said the well-\nKnown reporter of the desk."])
    assert "international desk" in text and "wellKnown" not in text


def test_a_scanned_pdf_without_text_is_rejected() -> None:
    outcome = _run("scan.pdf", samples.pdf([[], []]))
    assert outcome.status == DocStatus.rejected and "no text layer" in (outcome.error or "")


def test_an_encrypted_pdf_is_rejected() -> None:
    writer = PdfWriter(
        clone_from=PdfReader(io.BytesIO(samples.pdf([samples.wrapped(_paragraphs("Secret"))])))
    )
    writer.encrypt("secret-password")
    buffer = io.BytesIO()
    writer.write(buffer)
    outcome = _run("locked.pdf", buffer.getvalue())
    assert outcome.status == DocStatus.rejected and "encrypted" in (outcome.error or "")


def test_a_pdf_claiming_a_hundred_thousand_pages_is_rejected_before_reading_them() -> None:
    raw = samples.pdf([["one page of text that is here"]]).replace(b"/Count 1 ", b"/Count 100000 ")
    started = time.monotonic()
    outcome = _run("huge.pdf", raw)
    assert outcome.status == DocStatus.rejected and "100000 pages" in (outcome.error or "")
    assert time.monotonic() - started < 5


def test_a_corrupt_pdf_is_rejected_not_failed() -> None:
    outcome = _run("broken.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50)
    assert outcome.status == DocStatus.rejected


def test_a_docx_gives_its_paragraphs_and_the_title_of_its_properties() -> None:
    paragraphs = _paragraphs("Memo")
    record = _stored("memo.docx", samples.docx("Council memo", paragraphs))
    assert record["title"] == "Council memo"
    assert str(record["text"]).split("\n\n")[-3:] == paragraphs


def test_a_docx_is_known_by_its_parts_even_without_its_name() -> None:
    record = _stored("upload", samples.docx("Unnamed memo", _paragraphs("Unnamed")))
    assert record["title"] == "Unnamed memo"


def test_a_zip_that_is_not_a_docx_is_still_not_an_article() -> None:
    outcome = _run("x.docx", samples.zipped({"a.txt": b"text"}))
    assert outcome.status == DocStatus.rejected


def test_markdown_front_matter_gives_hints_and_the_markup_is_stripped() -> None:
    raw = samples.markdown("Park cleanup", _paragraphs("Park"), date="2024-04-02", url="https://md.example/p")
    record = _stored("notes.md", raw)
    assert record["title"] == "Park cleanup" and record["published_at"] == "2024-04-02"
    source = record["source"]
    assert isinstance(source, dict) and source["url"] == "https://md.example/p"
    text = str(record["text"])
    assert "**" not in text and "](" not in text and "code that is not" not in text and "---" not in text
    assert text.split("\n\n") == _paragraphs("Park")


def test_an_email_gives_its_text_body_with_subject_as_title_and_date_as_publication_date() -> None:
    raw = samples.eml(
        "School results", _paragraphs("School"), when=samples.WHEN, message_id="m-1@example.org"
    )
    record = _stored("letter.eml", raw)
    assert record["title"] == "School results"
    assert record["published_at"] == "2024-05-01T09:30:00+00:00"
    assert str(record["text"]).split("\n\n") == _paragraphs("School")
    source = record["source"]
    assert isinstance(source, dict) and source["external_id"] == "m-1@example.org"


def test_an_html_only_email_goes_through_the_html_stage_and_is_known_without_its_name() -> None:
    raw = samples.eml("Night bus", _paragraphs("Bus"), when=samples.WHEN, message_id="m-2@e.org", html=True)
    record = _stored("upload", raw)
    assert record["title"] == "Night bus"
    assert "paragraph 2" in str(record["text"])


@pytest.mark.parametrize(
    "body",
    [b"Subject: hello\nThis is just a note that starts like a header.", b"From: me\n\nshort"],
)
def test_plain_text_that_merely_starts_like_a_header_is_not_an_email(body: bytes) -> None:
    from ingest_worker.pipeline.formats.eml import ReadEmail

    assert not ReadEmail().sniff(body, "note.txt", "")
