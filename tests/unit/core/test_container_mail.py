"""E-mail as a container: the body is one document, each attachment a MIME range that decodes
to its own bytes only when opened; a message without attachments stays one document."""

from __future__ import annotations

import io
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from ingest_core.containers import Limits, Part, Unreadable, Upload, open_document, read_range, split
from ingest_core.containers.base import Opened
from ingest_core.settings import Settings
from tests import format_samples as samples

LIMITS = Limits.from_settings(Settings())
PDF = samples.pdf([["Harvest report page one"]], title="Harvest report")


def _split(name: str, body: bytes, limits: Limits = LIMITS) -> tuple[Upload, list[Part]]:
    upload = Upload(name, None, io.BytesIO(body))
    upload.measure()
    return upload, split(upload, limits)


def _open(stored: Upload, part: Part) -> Opened:
    source = part.source or stored
    data = read_range(source.fileobj, part.offset, part.length)
    return open_document(part.to_batch_document("d", "raw/k"), data, LIMITS.max_file_bytes)


def test_a_message_without_attachments_is_one_document_spanning_the_upload() -> None:
    body = samples.eml("School results", ["One.", "Two."], when=samples.WHEN, message_id="m@e.org")
    stored, [part] = _split("letter.eml", body)
    assert part == Part("letter.eml", None, 0, len(body)) and _open(stored, part).raw == body


def test_each_attachment_is_a_range_that_decodes_to_its_own_bytes_and_images_are_not_listed() -> None:
    text = "Café notes, line one.\nLine two = equal.\n"
    body = samples.mail(
        "Weekly digest",
        ["The body paragraph."],
        {
            "report.pdf": (PDF, "application/pdf"),
            "notes.txt": (text.encode(), "text/plain"),
            "logo.png": (b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png"),
        },
    )
    stored, parts = _split("digest.eml", body)
    assert [p.filename for p in parts] == ["digest.eml", "digest.eml!report.pdf", "digest.eml!notes.txt"]
    assert {p.codec for p in parts[1:]} == {"mime"} and all(p.length < len(PDF) * 2 for p in parts[1:])
    pdf = _open(stored, parts[1])
    assert pdf.raw == PDF and pdf.content_type == "application/pdf"
    notes = _open(stored, parts[2])  # quoted-printable undone, the charset kept for decoding
    assert notes.raw == text.encode() and notes.content_type == "text/plain; charset=utf-8"
    assert pdf.hints.title is None and pdf.hints.published_at is None  # the message's, not the file's


def test_the_body_document_is_the_message_up_to_its_text_with_its_headers() -> None:
    body = samples.mail("Weekly digest", ["The body paragraph."], {"report.pdf": (PDF, "application/pdf")})
    stored, parts = _split("digest.eml", body)
    opened = _open(stored, parts[0])
    assert opened.content_type == "message/rfc822" and len(opened.raw) < len(body) - len(PDF)
    message = BytesParser(policy=policy.default).parsebytes(opened.raw)
    assert isinstance(message, EmailMessage) and message["Subject"] == "Weekly digest"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().strip() == "The body paragraph."


def test_attachments_without_names_or_with_the_same_name_get_names_of_their_own() -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "s"
    message.set_content("Body.")
    message.add_attachment(PDF, maintype="application", subtype="pdf")
    message.add_attachment(b"one", maintype="application", subtype="octet-stream", filename="C:\\x\\a.txt")
    message.add_attachment(b"two", maintype="application", subtype="octet-stream", filename="a.txt")
    _, parts = _split("m.eml", bytes(message))
    assert [p.filename for p in parts] == ["m.eml", "m.eml!attachment-1.pdf", "m.eml!a.txt", "m.eml!a-2.txt"]


def test_a_forwarded_message_is_read_as_an_e_mail_of_its_own() -> None:
    inner = samples.eml("Inner story", ["Inner body."], when=samples.WHEN, message_id="in@e.org")
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "Fwd"
    message.set_content("See below.")
    message.add_attachment(BytesParser(policy=policy.default).parsebytes(inner))
    outer = bytes(message)
    stored, parts = _split("fwd.eml", outer)
    assert [p.filename for p in parts] == ["fwd.eml", "fwd.eml!attachment-1.eml"]
    opened = _open(stored, parts[1])  # no attachments of its own: one document, as a plain .eml
    assert opened.content_type == "message/rfc822" and b"Subject: Inner story" in opened.raw


def test_an_attachment_whose_base64_is_broken_is_unreadable_with_a_reason() -> None:
    stored, [part] = _split("badb64.eml", samples.hostile_nested_formats()["badb64.eml"])
    with pytest.raises(Unreadable, match="not valid base64"):
        _open(stored, part)


def test_an_attachment_larger_than_a_document_may_be_is_rejected_before_it_is_decoded() -> None:
    limits = Limits.from_settings(Settings(max_file_bytes=4_000))
    body = samples.mail("s", ["Short body."], {"scan.pdf": (bytes(6_000), "application/pdf")})
    _, parts = _split("m.eml", body, limits)
    assert parts[0].rejected_reason is None and "too large" in (parts[1].rejected_reason or "")


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("deep.eml", None, "nested more than"),
        ("many.eml", b"", "more than 1000 parts"),
    ],
)
def test_a_message_too_deep_or_too_wide_to_scan_is_one_rejected_document(
    name: str, body: bytes | None, reason: str
) -> None:
    if name == "deep.eml":
        lines = ["From: a@example.org", "Subject: deep"]
        for level in range(100):
            lines += [f'Content-Type: multipart/mixed; boundary="b{level}"', "", f"--b{level}"]
        body = "\r\n".join([*lines, "Content-Type: text/plain", "", "x"]).encode()
    else:
        parts = "".join(f"--w\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(1_100))
        body = ("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n" + parts).encode()
    [part] = _split(name, body)[1]
    assert reason in (part.rejected_reason or "")


def test_a_message_sent_without_a_name_keeps_its_body_unnamed_and_names_its_attachments() -> None:
    body = samples.mail("s", ["Body."], {"report.pdf": (PDF, "application/pdf")})
    upload = Upload(None, "message/rfc822", io.BytesIO(body))
    upload.measure()
    parts = split(upload, LIMITS)
    assert [p.filename for p in parts] == [None, "message.eml!report.pdf"]
    assert parts[0].source is None and _open(upload, parts[1]).raw == PDF
