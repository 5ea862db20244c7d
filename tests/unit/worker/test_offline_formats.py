"""``ingest process`` over a file of every format: the documents, texts, URLs and titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest_worker.offline import run_offline
from tests import format_samples as samples


def _rows(paths: list[Path], base: Path) -> dict[str, dict[str, Any]]:
    rows = run_offline([str(p) for p in paths], dedup=False)
    return {row["input"].removeprefix(f"{base}/"): row for row in rows}


def test_every_format_gives_its_documents_offline(tmp_path: Path) -> None:
    for name, body in samples.every_format().items():
        (tmp_path / name).write_bytes(body)
    rows = _rows([tmp_path], tmp_path)
    assert sorted(rows) == [
        "articles.json!1",
        "articles.json!2",
        "crawl.warc!3",
        "crawl.warc.gz!3",
        "crawl.warc.gz!5",
        "daily.rss!1",
        "daily.rss!2",
        "letter.eml",
        "memo.docx",
        "notes.md",
        "report.pdf",
        "wire.atom!1",
    ]
    assert {row["status"] for row in rows.values()} == {"stored"}, rows
    records = {name: row["record"] for name, row in rows.items()}
    titles = {name: record["title"] for name, record in records.items()}
    assert titles["crawl.warc.gz!3"] == "Harbour reopens" and titles["daily.rss!2"] == "Market day returns"
    assert titles["report.pdf"] == "Annual report" and titles["memo.docx"] == "Council memo"
    assert titles["notes.md"] == "Park cleanup" and titles["letter.eml"] == "School results"
    assert titles["wire.atom!1"] == "Storm warning issued" and titles["articles.json!1"] == "Stadium vote"
    urls = {name: record["source"]["url"] for name, record in records.items()}
    assert (
        urls["crawl.warc.gz!5"] == "https://news.example/b"
        and urls["daily.rss!1"] == "https://daily.example/1"
    )
    assert urls["notes.md"] == "https://md.example/park"
    warc = records["crawl.warc!3"]["source"]
    assert warc["fetched_at"] and warc["external_id"].startswith("urn:uuid:")
    assert records["daily.rss!1"]["source"]["external_id"] == "rss-1"
    assert records["daily.rss!1"]["published_at"] == "2021-09-06T10:45:00+00:00"
    for name, record in records.items():
        assert "paragraph 2" in record["text"] or name == "wire.atom!1", name
        assert "<p>" not in record["text"] and "HTTP/1.1" not in record["text"]
    assert "Page 1 of 2" not in records["report.pdf"]["text"]
    assert "City Gazette" not in records["report.pdf"]["text"]


def test_a_warc_and_a_feed_inside_a_zip_are_read_one_level_deep(tmp_path: Path) -> None:
    files = samples.every_format()
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(
        samples.zipped({"in/crawl.warc.gz": files["crawl.warc.gz"], "daily.rss": files["daily.rss"]})
    )
    rows = _rows([bundle], tmp_path)
    assert sorted(rows) == [
        "bundle.zip!daily.rss!1",
        "bundle.zip!daily.rss!2",
        "bundle.zip!in/crawl.warc.gz!3",
        "bundle.zip!in/crawl.warc.gz!5",
    ]
    assert {row["status"] for row in rows.values()} == {"stored"}
    assert rows["bundle.zip!daily.rss!2"]["record"]["title"] == "Market day returns"


def test_nested_formats_give_their_documents_offline_and_hostile_nesting_is_rejected(tmp_path: Path) -> None:
    for name, body in {**samples.nested_formats(), **samples.hostile_nested_formats()}.items():
        (tmp_path / name).write_bytes(body)
    rows = _rows([tmp_path], tmp_path)
    status = {name: row["status"] for name, row in rows.items()}
    assert status == {
        "badb64.eml!scan.pdf": "rejected",
        "box.zip!in/fwd.eml!paper.pdf": "stored",
        "box.zip!note.txt": "stored",
        "deep.zip!level2.zip!level3.zip!story.txt": "stored",
        "digest.eml": "stored",
        "digest.eml!bundle.zip!brief.md": "stored",
        "digest.eml!bundle.zip!crawl.warc.gz!3": "stored",
        "digest.eml!memo.docx": "stored",
        "digest.eml!page.html": "stored",
        "digest.eml!report.pdf": "stored",
        "locked.eml!secret.zip!secret.txt": "rejected",
        "toodeep.zip!level2.zip!level3.zip!level4.zip": "rejected",
    }
    titles = {name: (row["record"] or {}).get("title") for name, row in rows.items()}
    assert titles["digest.eml"] == "Weekly digest" and titles["digest.eml!report.pdf"] == "Harvest report"
    assert (
        titles["digest.eml!memo.docx"] == "Water memo"
        and titles["box.zip!in/fwd.eml!paper.pdf"] == "Bridge survey"
    )
    body = rows["digest.eml"]["record"]
    assert body["source"]["external_id"] == "digest@example.org" and body["published_at"].startswith(
        "2024-05-01"
    )
    assert "Harvest" not in body["text"]  # the attachments are documents of their own, not the body
    errors = {name: row["error"] for name, row in rows.items() if row["status"] == "rejected"}
    assert "not valid base64" in errors["badb64.eml!scan.pdf"]
    assert errors["locked.eml!secret.zip!secret.txt"] == "encrypted archive member"
    assert "nested too deeply" in errors["toodeep.zip!level2.zip!level3.zip!level4.zip"]
