"""Planning an upload: one stored object per file, and batches sized by count and bytes."""

from __future__ import annotations

import io
import zipfile

from ingest_api.uploads import (
    FormMeta,
    IncomingFile,
    plan_batches,
    plan_documents,
    plan_file,
    request_fingerprint,
)
from ingest_core.settings import Settings


def _incoming(name: str, body: bytes, content_type: str | None = None) -> IncomingFile:
    item = IncomingFile(name, content_type, io.BytesIO(body))
    item.measure()
    return item


def test_documents_travel_in_batches_bounded_by_count_and_bytes() -> None:
    settings = Settings(batch_max_documents=3, batch_max_bytes=250)
    lines = b"\n".join(b'{"text": "%s"}' % (b"w" * 80) for _ in range(10))
    planned = plan_file(_incoming("b.jsonl", lines), settings, "news")
    documents, to_process = plan_documents([planned])
    assert len(documents) == len(to_process) == 10
    batches = plan_batches("job", FormMeta("news", source_name="Wire"), to_process, settings)
    sizes = [len(b.documents) for b in batches]
    assert sum(sizes) == 10 and max(sizes) <= 3
    assert all(sum(d.locator.length for d in b.documents) <= 250 for b in batches)
    assert [d.doc_id for b in batches for d in b.documents] == [d.doc_id for d in documents]
    assert {d.locator.raw_key for b in batches for d in b.documents} == {planned.raw_key}
    assert all(b.hints.source_name == "Wire" and b.collection == "news" for b in batches)


def test_a_single_small_upload_is_one_batch_of_one() -> None:
    settings = Settings()
    planned = plan_file(_incoming("a.txt", b"An article."), settings, "news")
    _, to_process = plan_documents([planned])
    [batch] = plan_batches("job", FormMeta("news"), to_process, settings)
    assert len(batch.documents) == 1 and batch.documents[0].locator.length == 11


def test_zip_members_count_toward_a_batch_by_their_decoded_size() -> None:
    """Pages compress many times over: by stored bytes, a batch would hold many times its limit."""
    page = b"<html><body>" + b"<p>The council met on Tuesday.</p>" * 300 + b"</body></html>"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for n in range(10):
            zipped.writestr(f"page{n}.html", page + str(n).encode())
    settings = Settings(batch_max_bytes=3 * len(page) + 100)
    planned = plan_file(_incoming("pages.zip", archive.getvalue()), settings, "news")
    _, to_process = plan_documents([planned])
    assert all(d.locator.length < len(page) / 5 for d in to_process)  # stored compressed
    batches = plan_batches("job", FormMeta("news"), to_process, settings)
    assert [len(b.documents) for b in batches] == [3, 3, 3, 1]


def test_refused_documents_are_registered_but_never_sent() -> None:
    settings = Settings(max_file_bytes=5)
    planned = plan_file(_incoming("big.txt", b"far too long"), settings, "news")
    documents, to_process = plan_documents([planned])
    assert len(documents) == 1 and "too large" in (documents[0].rejected_reason or "")
    assert to_process == [] and not planned.needs_storing


def test_the_request_fingerprint_depends_on_collection_names_and_contents() -> None:
    a = [_incoming("a.txt", b"one")]
    assert request_fingerprint("c", a) == request_fingerprint("c", [_incoming("a.txt", b"one")])
    assert request_fingerprint("c", a) != request_fingerprint("d", a)
    assert request_fingerprint("c", a) != request_fingerprint("c", [_incoming("a.txt", b"two")])
