from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ingest_client import cli
from ingest_client.client import IngestClient

from .conftest import SAMPLES, FakeAPI, job_json

runner = CliRunner()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.txt"))
    if len(files) < 2:
        pytest.skip(f"samples not found in {SAMPLES}")
    return files


@pytest.fixture
def use_fake_api(monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI) -> FakeAPI:
    monkeypatch.setattr(cli, "make_client", lambda api, api_key: fake_api.client(api_key=api_key))
    return fake_api


# --- process (offline) ----------------------------------------------------------------------


def test_process_prints_one_stored_record_per_sample_in_input_order(sample_files: list[Path]) -> None:
    result = runner.invoke(cli.app, ["process", *map(str, sample_files)])
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert [line["input"] for line in lines] == [str(p) for p in sample_files]
    for line in lines:
        assert line["status"] == "stored", line["error"]
        assert line["record"]["id"]
        assert line["record"]["collection"] == "default"
        assert line["record"]["text"]
    assert len({line["record"]["id"] for line in lines}) == len(lines)


def test_a_second_copy_in_the_same_run_is_a_duplicate_of_the_first_record(sample_files: list[Path]) -> None:
    first = str(sample_files[0])
    result = runner.invoke(cli.app, ["process", "--collection", "news", first, first])
    assert result.exit_code == 0, result.output
    original, copy = json_lines(result.stdout)
    assert original["status"] == "stored"
    assert original["record"]["collection"] == "news"
    assert copy["status"] == "duplicate"
    assert copy["record"] is None
    assert copy["duplicate_of"] == original["record"]["id"]
    assert copy["similarity"] == pytest.approx(1.0)


def test_no_dedup_stores_both_copies(sample_files: list[Path]) -> None:
    first = str(sample_files[0])
    result = runner.invoke(cli.app, ["process", "--no-dedup", first, first])
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert [line["status"] for line in lines] == ["stored", "stored"]
    assert lines[0]["record"]["id"] != lines[1]["record"]["id"]


def test_a_jsonl_input_gives_one_line_per_article_and_rejects_bad_json(
    tmp_path: Path, sample_files: list[Path]
) -> None:
    text = sample_files[0].read_text(encoding="utf-8")
    paragraphs = [p for p in sample_files[1].read_text(encoding="utf-8").splitlines() if p.strip()]
    page = "<html><head><title>Afghan NSA</title></head><body><article>{}</article></body></html>".format(
        "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    )
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        json.dumps({"id": "wire-1", "text": text})
        + "\n"
        + json.dumps({"id": 42, "html": page, "url": "https://example.com/a"})
        + "\n"
        + "this line is not JSON\n",
        encoding="utf-8",
    )

    result = runner.invoke(cli.app, ["process", str(batch)])

    assert result.exit_code == 1, result.output  # one line was rejected
    lines = json_lines(result.stdout)
    assert [line["input"] for line in lines] == [f"{batch}!1", f"{batch}!2", f"{batch}!3"]
    assert [line["external_id"] for line in lines] == ["wire-1", "42", None]
    assert [line["status"] for line in lines] == ["stored", "stored", "rejected"], [
        line["error"] for line in lines
    ]
    assert lines[1]["record"]["source"]["url"] == "https://example.com/a"
    assert lines[2]["record"] is None
    assert "JSON" in lines[2]["error"]


def test_a_missing_input_gives_a_rejected_line_and_exit_one(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = runner.invoke(cli.app, ["process", str(missing)])
    assert result.exit_code == 1, result.output
    (line,) = json_lines(result.stdout)
    assert line["input"] == str(missing)
    assert line["status"] == "rejected"
    assert "cannot read" in line["error"]


def test_process_without_the_worker_package_says_it_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ingest_worker.offline", None)
    result = runner.invoke(cli.app, ["process", "x.txt"])
    assert result.exit_code == 2
    assert "needs the worker package (ingest-worker)" in result.stderr
    assert result.stdout == ""


# --- submit ---------------------------------------------------------------------------------


def test_submit_prints_each_document_outcome_and_exits_zero(tmp_path: Path, use_fake_api: FakeAPI) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b-dup.txt").write_text("a")
    (tmp_path / ".hidden.txt").write_text("h")

    result = runner.invoke(
        cli.app, ["submit", str(tmp_path), "--collection", "news", "--wait"], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert use_fake_api.uploads[0][0] == {"collection": "news"}
    assert [name for name, _, _ in use_fake_api.uploads[0][1]] == ["a.txt", "b-dup.txt"]
    out = result.stdout
    assert "a.txt" in out and "stored" in out and "record rec-job1-d0" in out
    assert "duplicate of rec-job1-d0 (similarity 0.97)" in out
    assert "2 documents: 1 duplicate, 1 stored" in out


def test_submit_exits_one_when_a_document_is_rejected(tmp_path: Path, use_fake_api: FakeAPI) -> None:
    (tmp_path / "good.txt").write_text("a")
    (tmp_path / "bad.txt").write_text("")
    result = runner.invoke(cli.app, ["submit", str(tmp_path), "--wait", "--json"])
    assert result.exit_code == 1, result.output
    (job,) = json.loads(result.stdout)
    assert job["status"] == "partially_failed"
    statuses = {d["filename"]: d["status"] for d in job["documents"]}
    assert statuses == {"bad.txt": "rejected", "good.txt": "stored"}
    assert next(d for d in job["documents"] if d["status"] == "rejected")["error"] == "empty document"


def test_submit_without_wait_prints_the_queued_job(tmp_path: Path, use_fake_api: FakeAPI) -> None:
    (tmp_path / "a.txt").write_text("a")
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "a.txt"), "--json"])
    assert result.exit_code == 0, result.output
    (job,) = json.loads(result.stdout)
    assert job["status"] == "queued"
    assert use_fake_api.polls == 0


def test_submit_to_an_unreachable_api_exits_two_with_the_hint(
    tmp_path: Path, closed_port_url: str, no_sleep: list[float]
) -> None:
    (tmp_path / "a.txt").write_text("a")
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "a.txt"), "--api", closed_port_url])
    assert result.exit_code == 2
    assert f"cannot reach the ingest API at {closed_port_url}: connection refused" in result.stderr
    assert "(make run)" in result.stderr


def test_the_api_url_and_key_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI
) -> None:
    seen: list[tuple[str, str | None]] = []

    def make_client(api: str, api_key: str | None) -> IngestClient:
        seen.append((api, api_key))
        return fake_api.client(api_key=api_key)

    monkeypatch.setattr(cli, "make_client", make_client)
    (tmp_path / "a.txt").write_text("a")
    env = {"INGEST_API_URL": "http://elsewhere:9000", "INGEST_API_KEY": "k1"}
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "a.txt")], env=env)
    assert result.exit_code == 0, result.output
    assert seen == [("http://elsewhere:9000", "k1")]
    assert fake_api.requests[0].headers["authorization"] == "Bearer k1"


def test_submit_of_a_missing_path_is_a_usage_error(tmp_path: Path, use_fake_api: FakeAPI) -> None:
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert use_fake_api.requests == []


def test_an_api_error_exits_two_with_its_code_and_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "unsupported_type", "message": "cannot read .exe files", "details": None}}
        return httpx.Response(415, json=body)

    monkeypatch.setattr(
        cli, "make_client", lambda api, key: IngestClient(api, transport=httpx.MockTransport(handler))
    )
    (tmp_path / "a.exe").write_bytes(b"MZ")
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "a.exe")])
    assert result.exit_code == 2
    assert "415 unsupported_type: cannot read .exe files" in result.stderr


# --- status ---------------------------------------------------------------------------------


def test_status_prints_the_job_as_json(use_fake_api: FakeAPI) -> None:
    use_fake_api.jobs["j9"] = job_json(
        "j9",
        "running",
        [
            {
                "id": "d1",
                "filename": "a.txt",
                "status": "processing",
                "record_id": None,
                "duplicate_of": None,
                "similarity": None,
                "error": None,
            },
        ],
    )
    result = runner.invoke(cli.app, ["status", "j9", "--wait", "--json"])
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    assert job["status"] == "succeeded"
    assert job["documents"][0]["record_id"] == "rec-d1"


def test_status_of_an_unknown_job_exits_two(use_fake_api: FakeAPI) -> None:
    result = runner.invoke(cli.app, ["status", "nope"])
    assert result.exit_code == 2
    assert "404 job_not_found" in result.stderr


# --- records --------------------------------------------------------------------------------


def test_records_prints_the_feed_as_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {
        None: {"items": [{"id": "r1", "title": "Ünïcode"}, {"id": "r2"}], "next": "c2"},
        "c2": {"items": [{"id": "r3"}], "next": None},
    }
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json=pages[request.url.params.get("after")])

    monkeypatch.setattr(
        cli, "make_client", lambda api, key: IngestClient(api, transport=httpx.MockTransport(handler))
    )
    result = runner.invoke(cli.app, ["records", "--collection", "news"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == '{"id": "r1", "title": "Ünïcode"}'
    assert [r["id"] for r in json_lines(result.stdout)] == ["r1", "r2", "r3"]
    assert seen[0] == {"collection": "news", "limit": "100"}

    seen.clear()
    result = runner.invoke(cli.app, ["records", "--collection", "news", "--limit", "2"])
    assert [r["id"] for r in json_lines(result.stdout)] == ["r1", "r2"]
    assert seen == [{"collection": "news", "limit": "2"}]


def test_help_lists_the_four_commands() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("submit", "status", "records", "process"):
        assert command in result.stdout
