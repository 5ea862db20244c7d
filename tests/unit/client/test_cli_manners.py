"""The CLI finds the API from the environment, exits 1 on bad documents, keeps stderr quiet
unless it is a terminal, and a followed feed survives the API going away."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ingest_client import cli
from ingest_client.client import IngestClient

from .conftest import SAMPLES, FakeAPI

runner = CliRunner()


@pytest.fixture
def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.txt"))
    if len(files) < 2:
        pytest.skip(f"samples not found in {SAMPLES}")
    return files[:2]


@pytest.fixture
def clients_made(monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []

    def make_client(api: str, api_key: str | None) -> IngestClient:
        seen.append((api, api_key))
        return fake_api.client(api_key=api_key)

    monkeypatch.setattr(cli, "make_client", make_client)
    monkeypatch.delenv("INGEST_API_URL", raising=False)
    monkeypatch.delenv("INGEST_API_PORT", raising=False)
    return seen


@pytest.fixture
def terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal would be (the runner's own streams are not terminals)."""
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "_stderr", lambda: Console(file=buffer, force_terminal=True, width=120))
    return buffer


# --- where the API is -----------------------------------------------------------------------


def test_ingest_api_port_points_the_cli_at_the_local_api(
    tmp_path: Path, clients_made: list[tuple[str, str | None]]
) -> None:
    (tmp_path / "a.txt").write_text("a")
    result = runner.invoke(cli.app, ["submit", str(tmp_path / "a.txt")], env={"INGEST_API_PORT": "8123"})
    assert result.exit_code == 0, result.output
    assert clients_made == [("http://127.0.0.1:8123", None)]


def test_ingest_api_url_wins_over_the_port_and_api_wins_over_both(
    clients_made: list[tuple[str, str | None]],
) -> None:
    env = {"INGEST_API_URL": "http://elsewhere:9000", "INGEST_API_PORT": "8123"}
    runner.invoke(cli.app, ["status", "job1"], env=env)
    runner.invoke(cli.app, ["status", "job1", "--api", "http://given:1"], env=env)
    assert clients_made == [("http://elsewhere:9000", None), ("http://given:1", None)]


def test_without_either_variable_the_default_is_used(clients_made: list[tuple[str, str | None]]) -> None:
    runner.invoke(cli.app, ["records"])
    assert clients_made == [("http://127.0.0.1:8000", None)]


def test_a_bad_ingest_api_port_is_a_usage_error(clients_made: list[tuple[str, str | None]]) -> None:
    result = runner.invoke(cli.app, ["records"], env={"INGEST_API_PORT": "eighty"})
    assert result.exit_code == 2
    assert "INGEST_API_PORT must be a port number" in result.stderr
    assert clients_made == []


def test_help_names_the_port_variable() -> None:
    result = runner.invoke(cli.app, ["records", "--help"], env={"COLUMNS": "200"})
    assert "INGEST_API_PORT" in result.stdout


# --- process: exit codes and progress -------------------------------------------------------


def test_process_exits_one_when_a_document_is_rejected_and_says_so_on_stderr(
    tmp_path: Path, sample_files: list[Path]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(cli.app, ["process", str(sample_files[0]), str(empty)])
    assert result.exit_code == 1, result.output
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["stored", "rejected"]
    assert result.stderr.strip() == "2 documents: 1 rejected, 1 stored"


def test_process_exits_zero_when_every_document_is_stored_or_duplicate_with_a_quiet_stderr(
    sample_files: list[Path],
) -> None:
    first = str(sample_files[0])
    result = runner.invoke(cli.app, ["process", first, first, str(sample_files[1])])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == [
        "stored",
        "duplicate",
        "stored",
    ]
    assert result.stderr == ""  # not a terminal: no progress, no summary


def test_process_shows_a_counter_on_stderr_when_it_is_a_terminal(
    sample_files: list[Path], terminal_stderr: io.StringIO
) -> None:
    result = runner.invoke(cli.app, ["process", *map(str, sample_files)])
    assert result.exit_code == 0, result.output
    shown = terminal_stderr.getvalue()
    assert "processing" in shown
    assert "2 documents: 2 stored" in shown
    # stdout is untouched by the display: JSON Lines only.
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["stored", "stored"]


# --- records --follow -----------------------------------------------------------------------


def test_records_follow_rides_out_an_api_restart(
    monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    afters: list[str | None] = []
    answers: list[httpx.Response | str] = [
        "ok:r1:c1",
        "refused",
        "refused",
        "reset",
        "ok:r2,r3:c3",
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        afters.append(request.url.params.get("after"))
        answer = answers.pop(0)
        if answer == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if answer == "reset":  # brackets in a reason are text, not markup
            raise httpx.RemoteProtocolError("[closed] Server disconnected without sending a response.")
        assert isinstance(answer, str)
        _, ids, cursor = answer.split(":")
        return httpx.Response(200, json={"items": [{"id": i} for i in ids.split(",")], "next": cursor})

    monkeypatch.setattr(
        cli, "make_client", lambda api, key: IngestClient(api, transport=httpx.MockTransport(handler))
    )
    result = runner.invoke(cli.app, ["records", "--follow", "--limit", "3", "--api", "http://api.test"])

    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["r1", "r2", "r3"]
    assert afters == [None, "c1", "c1", "c1", "c1"]
    notices = result.stderr.splitlines()
    assert len(notices) == 3
    assert notices[0].startswith("feed interrupted (connection refused); retrying in ")
    assert "the server closed the connection ([closed] Server disconnected" in notices[2]


def test_records_without_follow_still_exits_two_when_the_api_is_down(
    closed_port_url: str, no_sleep: list[float]
) -> None:
    result = runner.invoke(cli.app, ["records", "--api", closed_port_url])
    assert result.exit_code == 2
    assert "connection refused" in result.stderr
    assert len(no_sleep) == 4
