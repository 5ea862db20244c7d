"""The container readers beyond zip and tar: WARC, feeds, JSON; one table, nesting,
and hostile inputs that become rejected documents with a reason."""

from __future__ import annotations

import gzip
import io
import json
import time

from ingest_core.containers import (
    READERS,
    Limits,
    Part,
    Unreadable,
    Upload,
    kind_of,
    open_document,
    prepare,
    read_range,
    split,
)
from ingest_core.containers.base import Opened
from ingest_core.settings import Settings
from tests import format_samples as samples

LIMITS = Limits.from_settings(Settings())


def _upload(name: str | None, body: bytes, content_type: str | None = None) -> Upload:
    item = Upload(name, content_type, io.BytesIO(body))
    item.measure()
    return item


def _split(name: str | None, body: bytes, limits: Limits = LIMITS) -> tuple[Upload, list[Part]]:
    prepared = prepare(_upload(name, body), limits)
    assert prepared.problem is None, prepared.problem
    return prepared.upload, split(prepared.upload, limits)


def _open(stored: Upload, part: Part, key: str = "raw/k") -> Opened:
    source = part.source or stored
    data = read_range(source.fileobj, part.offset, part.length)
    return open_document(part.to_batch_document("d", key), data, LIMITS.max_file_bytes)


def _pages() -> list[tuple[str, str, str]]:
    return [
        (
            "https://news.example/a",
            "text/html; charset=utf-8",
            samples.html_page("Harbour", samples.story("A")),
        ),
        ("https://news.example/b", "text/plain", "Plain text of the second page."),
    ]


def test_the_readers_are_one_table_and_each_kind_is_found_by_name_type_or_first_bytes() -> None:
    assert [reader.kind for reader in READERS] == ["zip", "tar", "warc", "jsonl", "json", "feed", "eml"]
    assert kind_of(_upload("letter.eml", b"")) == "eml"
    assert kind_of(_upload("upload", samples.eml("S", ["p"], when=samples.WHEN, message_id="m"))) == "eml"
    assert kind_of(_upload("x.warc.gz", b"")) == "warc"
    assert kind_of(_upload("upload", samples.warc(_pages(), gzip=True))) == "warc"
    assert kind_of(_upload("upload", samples.warc(_pages(), gzip=False))) == "warc"
    assert kind_of(_upload("upload", b"{}", "application/json")) == "json"
    assert kind_of(_upload("upload", samples.rss([]))) == "feed"
    assert kind_of(_upload("upload", samples.atom([]))) == "feed"
    assert kind_of(_upload("page.xml", b"<?xml version='1.0'?><article><p>x</p></article>")) == "single"
    assert kind_of(_upload("a.tar.gz", b"")) == "tar"
    assert kind_of(_upload("story.txt", b"text")) == "single"


def test_each_warc_response_with_html_or_text_is_a_range_that_reads_alone() -> None:
    for gzipped in (True, False):
        name = "crawl.warc.gz" if gzipped else "crawl.warc"
        stored, parts = _split(name, samples.warc(_pages(), gzip=gzipped))
        # warcinfo, request, response, request, response, image response: two documents
        assert [p.filename for p in parts] == [f"{name}!3", f"{name}!5"]
        first, second = (_open(stored, p) for p in parts)
        assert first.raw.startswith(b"<!doctype html>")  # the HTTP headers are gone
        assert first.content_type == "text/html; charset=utf-8"
        assert first.hints.source_url == "https://news.example/a"
        assert first.hints.fetched_at and first.hints.fetched_at.startswith("20")
        assert first.hints.external_id and first.hints.external_id.startswith("urn:uuid:")
        assert second.raw == b"Plain text of the second page." and second.content_type == "text/plain"
        if gzipped:  # a record's gzip member decodes alone
            assert gzip.decompress(read_range(stored.fileobj, parts[0].offset, parts[0].length)).startswith(
                b"WARC/1"
            )


def _with_length(body: bytes, url: bytes, length: int) -> bytes:
    """The WARC with the Content-Length of ``url``'s response record replaced."""
    records = body.split(b"WARC/1.0\r\n")
    for number, record in enumerate(records):
        if b"WARC-Type: response\r\n" in record and b"WARC-Target-URI: " + url + b"\r\n" in record:
            field = record.index(b"Content-Length: ")
            end = record.index(b"\r\n", field)
            records[number] = record[:field] + b"Content-Length: %d" % length + record[end:]
    return b"WARC/1.0\r\n".join(records)


def test_a_warc_record_whose_length_lies_is_rejected_and_the_file_does_not_break_the_reader() -> None:
    body = samples.warc(_pages(), gzip=False)
    longer = _with_length(body, b"https://news.example/b", 999_999)  # swallows the rest, then ends
    parts = _split("long.warc", longer)[1]
    assert parts[0].rejected_reason is None
    assert "truncated WARC record" in (parts[-1].rejected_reason or "")
    shorter = _with_length(body, b"https://news.example/a", 5)  # the next "record" starts mid-page
    parts = _split("short.warc", shorter)[1]
    assert any("corrupt WARC" in (p.rejected_reason or "") for p in parts)
    [only] = _split("junk.warc", b"WARC/1.0\r\nnonsense\r\n\r\n")[1]
    assert only.rejected_reason


def test_a_feed_gives_one_document_per_item_with_its_link_date_title_and_guid() -> None:
    feed = samples.rss(
        [
            ("g-1", "First", "https://e.org/1", "<p>Full body of the first item.</p>"),
            ("g-2", "Second", "https://e.org/2", "<p>Full body of the second item.</p>"),
        ]
    )
    stored, parts = _split("daily.rss", feed)
    assert [(p.filename, p.codec, p.index) for p in parts] == [
        ("daily.rss!1", "feed-item", 0),
        ("daily.rss!2", "feed-item", 1),
    ]
    second = _open(stored, parts[1])
    assert second.raw == b"<p>Full body of the second item.</p>"  # content:encoded, not the summary
    assert second.content_type == "text/html"
    assert second.hints.title == "Second" and second.hints.source_url == "https://e.org/2"
    assert second.hints.external_id == "g-2" and second.hints.published_at == "2021-09-06T11:45:00+00:00"
    assert second.hints.source_name == "The Daily" and second.hints.language == "en"
    stored, [entry] = _split("wire.atom", samples.atom([("urn:1", "Storm", "https://w.org/1", "Summary.")]))
    opened = _open(stored, entry)
    assert opened.raw == b"Summary." and opened.hints.published_at == "2024-03-01T08:00:00+00:00"


def test_a_feed_too_large_to_parse_is_rejected_before_it_is_read() -> None:
    huge = Upload("big.rss", "application/rss+xml", io.BytesIO(b"<rss>"), size=1 << 30)  # "1 GB"
    [part] = split(huge, LIMITS)
    assert "feed too large" in (part.rejected_reason or "")
    [empty] = _split("empty.rss", samples.rss([]))[1]
    assert empty.rejected_reason == "feed has no items"


def test_a_json_article_or_array_is_read_like_json_lines_and_other_json_is_not_an_article() -> None:
    articles = [
        {"id": "a1", "title": "Ünïcode", "text": "First article text."},
        {"id": "a2", "html": "<p>Second</p>"},
        {"id": "a3"},
    ]
    stored, parts = _split("batch.json", b"\xef\xbb\xbf " + json.dumps(articles, ensure_ascii=False).encode())
    assert [p.filename for p in parts] == ["batch.json!1", "batch.json!2", "batch.json!3"]
    first = _open(stored, parts[0])
    assert first.raw == b"First article text." and first.hints.title == "Ünïcode"
    assert first.hints.external_id == "a1"
    try:
        _open(stored, parts[2])
        raise AssertionError("an object without text is not an article")
    except Unreadable as exc:
        assert "neither" in exc.reason and exc.hints.external_id == "a3"
    stored, [single] = _split("one.json", json.dumps({"text": "Only one.", "url": "https://e.org"}).encode())
    assert single.filename == "one.json" and _open(stored, single).hints.source_url == "https://e.org"
    for config in (b'{"debug": true, "workers": 4}', b"[1, 2, 3]", b"[]"):
        [part] = _split("settings.json", config)[1]
        assert part.rejected_reason == "not an article: JSON without text or html"


def test_json_nested_a_hundred_thousand_deep_is_rejected_quickly() -> None:
    started = time.monotonic()
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        [part] = _split("deep.json", body)[1]
        assert "nested too deeply" in (part.rejected_reason or "")
    assert time.monotonic() - started < 5


def test_a_container_inside_a_zip_is_expanded_and_stored_as_its_own_object() -> None:
    feed = samples.rss([("g-1", "Inside", "https://e.org/1", "<p>Inner item.</p>")])
    crawl = samples.warc(_pages(), gzip=True)
    inner_zip = samples.zipped({"deep.txt": b"text"})
    body = samples.zipped(
        {
            "news.rss": feed,
            "crawl.warc.gz": crawl,
            "note.txt": b"plain",
            "inner.zip": inner_zip,
            "cfg.json": b"{}",
        }
    )
    stored, parts = _split("bundle.zip", body)
    names = [p.filename for p in parts]
    assert names == [
        "bundle.zip!news.rss!1",
        "bundle.zip!crawl.warc.gz!3",
        "bundle.zip!crawl.warc.gz!5",
        "bundle.zip!note.txt",
        "bundle.zip!inner.zip!deep.txt",  # an archive in an archive is expanded too
        "bundle.zip!cfg.json",
    ]
    by_name = {p.filename: p for p in parts}
    assert by_name["bundle.zip!cfg.json"].rejected_reason == "not an article: JSON without text or html"
    item = by_name["bundle.zip!news.rss!1"]
    assert item.source is not None and item.source.sha256 != stored.sha256
    assert _open(stored, item).hints.title == "Inside"
    record = by_name["bundle.zip!crawl.warc.gz!3"]
    assert _open(stored, record).hints.source_url == "https://news.example/a"
    assert by_name["bundle.zip!note.txt"].source is None
