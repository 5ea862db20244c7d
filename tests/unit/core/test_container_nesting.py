"""Formats nest: containers in archives and e-mails are expanded to a depth cap, under one
budget of documents and bytes per upload; past a bound the container is rejected with a reason."""

from __future__ import annotations

import io
import random

from ingest_core.containers import Limits, Part, Upload, open_document, read_range, split
from ingest_core.settings import Settings
from tests import format_samples as samples

LIMITS = Limits.from_settings(Settings())
TEXT = b"A paragraph of an article. " * 20


def _split(name: str, body: bytes, limits: Limits = LIMITS) -> tuple[Upload, list[Part]]:
    upload = Upload(name, None, io.BytesIO(body))
    upload.measure()
    return upload, split(upload, limits)


def _raw(stored: Upload, part: Part) -> bytes:
    source = part.source or stored
    data = read_range(source.fileobj, part.offset, part.length)
    return open_document(part.to_batch_document("d", "raw/k"), data, LIMITS.max_file_bytes).raw


def test_a_zip_in_a_zip_in_a_zip_gives_its_member_as_a_range_of_the_innermost_zip() -> None:
    stored, [part] = _split("deep.zip", samples.nested_zips(3, "story.txt", TEXT))
    assert part.filename == "deep.zip!level2.zip!level3.zip!story.txt" and part.rejected_reason is None
    assert part.source is not None and _raw(stored, part) == TEXT


def test_a_container_past_the_depth_cap_is_rejected_with_a_reason() -> None:
    _, [part] = _split("deep.zip", samples.nested_zips(4, "story.txt", TEXT))
    assert part.filename == "deep.zip!level2.zip!level3.zip!level4.zip"
    assert part.rejected_reason == "nested too deeply: a container inside 3 containers (limit 3 levels)"
    shallow = Limits.from_settings(Settings(max_nesting_depth=1))
    _, [part] = _split("two.zip", samples.nested_zips(2, "story.txt", TEXT), shallow)
    assert "nested too deeply" in (part.rejected_reason or "")


def test_a_pdf_in_an_e_mail_in_a_zip_is_a_range_of_the_e_mail_stored_alone() -> None:
    pdf = samples.pdf([["Bridge survey"]], title="Bridge survey")
    letter = samples.mail("Fwd", ["Body."], {"paper.pdf": (pdf, "application/pdf")})
    stored, parts = _split("box.zip", samples.zipped({"in/fwd.eml": letter, "note.txt": TEXT}))
    assert [p.filename for p in parts] == [
        "box.zip!in/fwd.eml",
        "box.zip!in/fwd.eml!paper.pdf",
        "box.zip!note.txt",
    ]
    body, attached, note = parts
    assert body.source is not None and body.source is attached.source and note.source is None
    assert _raw(stored, attached) == pdf and _raw(stored, note) == TEXT


def test_an_e_mail_without_attachments_in_a_zip_stays_a_range_of_the_zip() -> None:
    letter = samples.eml("Plain", ["Body."], when=samples.WHEN, message_id="p@e.org")
    stored, [part] = _split("box.zip", samples.zipped({"plain.eml": letter}))
    assert part.filename == "box.zip!plain.eml" and part.source is None and part.codec == "deflate"
    assert _raw(stored, part) == letter


def test_documents_of_nested_containers_count_toward_one_cap_for_the_upload() -> None:
    limits = Limits.from_settings(Settings(max_archive_members=5))
    inner = {f"{n}.txt": TEXT for n in range(3)}
    body = samples.zipped({f"box{n}.zip": samples.zipped(inner) for n in range(3)})
    _, parts = _split("boxes.zip", body, limits)
    assert [p.rejected_reason for p in parts[:5]] == [None] * 5 and len(parts) == 6
    assert parts[5].filename == "boxes.zip!box1.zip!2.txt"
    assert "more than 5 documents, nested containers included" in (parts[5].rejected_reason or "")


def test_bytes_of_nested_containers_count_toward_one_expanded_size_for_the_upload() -> None:
    limits = Limits.from_settings(Settings(max_archive_expanded_bytes=len(TEXT) * 5))
    inner = {f"{n}.txt": TEXT for n in range(3)}
    body = samples.zipped({f"box{n}.zip": samples.zipped(inner) for n in range(3)})
    _, parts = _split("boxes.zip", body, limits)
    assert "expands to more than" in (parts[-1].rejected_reason or "") and len(parts) == 6


def test_a_zip_bomb_inside_a_zip_is_refused_by_the_inner_archive_checks() -> None:
    bomb = samples.zipped({"zeros.txt": bytes(5_000_000)})
    _, [part] = _split("outer.zip", samples.zipped({"bomb.zip": bomb}))
    assert part.filename == "outer.zip!bomb.zip" and "possible zip bomb" in (part.rejected_reason or "")
    limits = Limits.from_settings(Settings(max_file_bytes=100_000))
    noise = random.Random(7).randbytes(3_000)  # incompressible: the inner zip is 120 kB itself
    big = samples.zipped({f"{n}.txt": noise for n in range(40)})
    _, [part] = _split("outer.zip", samples.zipped({"big.zip": big}), limits)
    assert "too large" in (part.rejected_reason or "")


def test_an_encrypted_zip_attached_to_an_e_mail_gives_rejected_members() -> None:
    _, [part] = _split("locked.eml", samples.hostile_nested_formats()["locked.eml"])
    assert part.filename == "locked.eml!secret.zip!secret.txt"
    assert part.rejected_reason == "encrypted archive member"
