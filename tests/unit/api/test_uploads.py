"""Fan-out and limits of uploads: every refused item becomes a rejected document with a reason."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

from ingest_api.uploads import IncomingFile, Part, expand, request_fingerprint
from ingest_core.settings import Settings

SETTINGS = Settings(max_file_bytes=10_000, max_archive_members=5, max_archive_ratio=50.0)


def _incoming(name: str, body: bytes, content_type: str | None = None) -> IncomingFile:
    item = IncomingFile(name, content_type, io.BytesIO(body))
    item.measure()
    return item


def _parts(name: str, body: bytes, settings: Settings = SETTINGS) -> list[Part]:
    return list(expand(_incoming(name, body), settings))


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_a_plain_file_is_one_document_with_its_hash() -> None:
    [part] = _parts("a.txt", b"hello world")
    assert part.rejected_reason is None and part.size == 11
    assert part.sha256 == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"


def test_a_file_over_the_size_limit_is_rejected_without_being_kept() -> None:
    [part] = _parts("big.txt", b"x" * 10_001)
    assert part.body is None and "too large" in (part.rejected_reason or "")


def test_zip_members_become_documents_and_folders_are_skipped() -> None:
    parts = _parts("batch.zip", _zip({"a/one.txt": b"first article", "a/two.txt": b"second article"}))
    assert [p.filename for p in parts] == ["batch.zip/a/one.txt", "batch.zip/a/two.txt"]
    assert all(p.rejected_reason is None for p in parts)


def test_an_archive_with_too_many_members_is_one_rejected_document() -> None:
    [part] = _parts("many.zip", _zip({f"{i}.txt": b"text %d" % i for i in range(6)}))
    assert "6 members" in (part.rejected_reason or "")


def test_a_highly_compressed_archive_is_refused_as_a_possible_zip_bomb() -> None:
    [part] = _parts("bomb.zip", _zip({"zeros.txt": b"\0" * 9_000}))
    assert "zip bomb" in (part.rejected_reason or "")


def test_one_oversize_member_is_rejected_and_its_siblings_kept() -> None:
    settings = Settings(max_file_bytes=10_000, max_archive_ratio=10_000.0)
    parts = _parts("mixed.zip", _zip({"ok.txt": b"fine", "huge.txt": b"y" * 20_000}), settings)
    by_name = {p.filename: p for p in parts}
    assert by_name["mixed.zip/ok.txt"].rejected_reason is None
    assert "too large" in (by_name["mixed.zip/huge.txt"].rejected_reason or "")


def test_a_corrupt_archive_is_one_rejected_document() -> None:
    [part] = _parts("broken.zip", b"PK\x03\x04 nope")
    assert "corrupt zip" in (part.rejected_reason or "")
    [part] = _parts("broken.tar.gz", b"\x1f\x8b not a tarball")
    assert "corrupt tar" in (part.rejected_reason or "")


def test_tar_gz_members_become_documents() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("story.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"words"))
    [part] = _parts("more.tar.gz", buffer.getvalue())
    assert part.filename == "more.tar.gz/story.txt" and part.body == b"words"


def test_json_lines_give_one_document_per_line_with_metadata() -> None:
    lines = [
        json.dumps({"id": "x1", "text": "An article.", "title": "T", "url": "https://e.org/1"}),
        "",
        "{broken",
        json.dumps({"id": "x3"}),
    ]
    parts = _parts("batch.jsonl", "\n".join(lines).encode())
    assert [p.filename for p in parts] == ["batch.jsonl:1", "batch.jsonl:3", "batch.jsonl:4"]
    assert parts[0].meta["title"] == "T" and parts[0].meta["external_id"] == "x1"
    assert "invalid JSON" in (parts[1].rejected_reason or "")
    assert "neither" in (parts[2].rejected_reason or "")


def test_the_request_fingerprint_depends_on_collection_names_and_contents() -> None:
    a = [_incoming("a.txt", b"one")]
    assert request_fingerprint("c", a) == request_fingerprint("c", [_incoming("a.txt", b"one")])
    assert request_fingerprint("c", a) != request_fingerprint("d", a)
    assert request_fingerprint("c", a) != request_fingerprint("c", [_incoming("a.txt", b"two")])
