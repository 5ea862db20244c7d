"""Splitting uploads into documents: each is a byte range of the stored upload that decodes to
the member's own bytes; every refused item becomes a rejected document with a reason."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

from ingest_core.containers import Limits, Part, Unreadable, Upload, open_document, prepare, read_range, split
from ingest_core.settings import Settings

LIMITS = Limits.from_settings(Settings(max_file_bytes=10_000, max_archive_members=5, max_archive_ratio=50.0))


def _upload(name: str, body: bytes, content_type: str | None = None) -> Upload:
    item = Upload(name, content_type, io.BytesIO(body))
    item.measure()
    return item


def _split(name: str, body: bytes, limits: Limits = LIMITS) -> tuple[Upload, list[Part]]:
    prepared = prepare(_upload(name, body), limits)
    assert prepared.problem is None, prepared.problem
    return prepared.upload, split(prepared.upload, limits)


def _parts(name: str, body: bytes, limits: Limits = LIMITS) -> list[Part]:
    return _split(name, body, limits)[1]


def _bytes_of(stored: Upload, part: Part) -> bytes:
    data = read_range(stored.fileobj, part.offset, part.length)
    return open_document(part.to_batch_document("d", "raw/k"), data, LIMITS.max_file_bytes).raw


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_a_plain_file_is_one_document_spanning_the_whole_upload() -> None:
    stored, [part] = _split("a.txt", b"hello world")
    assert part.rejected_reason is None and (part.offset, part.length) == (0, 11)
    assert stored.sha256 == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"


def test_a_file_over_the_size_limit_is_rejected() -> None:
    [part] = _parts("big.txt", b"x" * 10_001)
    assert "too large" in (part.rejected_reason or "")


def test_zip_members_are_ranges_that_decode_to_their_bytes_and_folders_are_skipped() -> None:
    members = {"a/one.txt": b"first article " * 20, "a/two.txt": b"second article"}
    for method in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        stored, parts = _split("batch.zip", _zip(members, method))
        assert [p.filename for p in parts] == ["batch.zip!a/one.txt", "batch.zip!a/two.txt"]
        assert [_bytes_of(stored, p) for p in parts] == list(members.values())


def test_an_archive_with_too_many_members_is_one_rejected_document() -> None:
    [part] = _parts("many.zip", _zip({f"{i}.txt": b"text %d" % i for i in range(6)}))
    assert "6 members" in (part.rejected_reason or "")


def test_a_highly_compressed_archive_is_refused_as_a_possible_zip_bomb() -> None:
    [part] = _parts("bomb.zip", _zip({"zeros.txt": b"\0" * 9_000}))
    assert "zip bomb" in (part.rejected_reason or "")


def test_one_oversize_member_is_rejected_and_its_siblings_kept() -> None:
    limits = Limits.from_settings(Settings(max_file_bytes=10_000, max_archive_ratio=10_000.0))
    parts = _parts("mixed.zip", _zip({"ok.txt": b"fine", "huge.txt": b"y" * 20_000}), limits)
    by_name = {p.filename: p for p in parts}
    assert by_name["mixed.zip!ok.txt"].rejected_reason is None
    assert "too large" in (by_name["mixed.zip!huge.txt"].rejected_reason or "")


def test_a_corrupt_archive_is_one_rejected_document() -> None:
    [part] = _parts("broken.zip", b"PK\x03\x04 nope")
    assert "corrupt zip" in (part.rejected_reason or "")
    prepared = prepare(_upload("broken.tar.gz", b"\x1f\x8b not a tarball"), LIMITS)
    assert "corrupt" in (prepared.problem or "")


def test_a_compressed_tar_is_stored_as_its_tar_and_members_are_ranges_of_it() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in (("story.txt", b"words"), ("more/other.txt", b"other words")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    stored, parts = _split("more.tar.gz", buffer.getvalue())
    assert stored.content_type == "application/x-tar"
    assert [p.filename for p in parts] == ["more.tar.gz!story.txt", "more.tar.gz!more/other.txt"]
    assert [_bytes_of(stored, p) for p in parts] == [b"words", b"other words"]


def test_json_lines_give_one_document_per_line_with_its_hints() -> None:
    lines = [
        json.dumps({"id": "x1", "text": "An article.", "title": "T", "url": "https://e.org/1"}),
        "",
        "{broken",
        json.dumps({"id": "x3"}),
        "[" * 4_000 + "]" * 4_000,
    ]
    stored, parts = _split("batch.jsonl", "\r\n".join(lines).encode())
    assert [p.filename for p in parts] == ["batch.jsonl!1", "batch.jsonl!3", "batch.jsonl!4", "batch.jsonl!5"]
    first = read_range(stored.fileobj, parts[0].offset, parts[0].length)
    opened = open_document(parts[0].to_batch_document("d", "k"), first, 10_000)
    assert opened.raw == b"An article." and opened.content_type == "text/plain"
    assert opened.hints.title == "T" and opened.hints.external_id == "x1"
    assert opened.hints.source_url == "https://e.org/1"
    reasons = []
    for part in parts[1:]:
        data = read_range(stored.fileobj, part.offset, part.length)
        try:
            open_document(part.to_batch_document("d", "k"), data, 10_000)
        except Unreadable as exc:
            reasons.append(exc.reason)
    assert "invalid JSON" in reasons[0]
    assert "neither" in reasons[1]
    assert "nested too deeply" in reasons[2]
