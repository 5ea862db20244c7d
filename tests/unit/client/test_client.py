from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_client import ApiUnreachable, IngestAPIError, IngestClient, UploadProgress, WaitTimeoutError
from ingest_client.client import parse_retry_after

from .conftest import FakeAPI, error_response, job_json, parse_multipart


def mock_client(handler: Any, **kwargs: Any) -> IngestClient:
    return IngestClient("http://api.test", transport=httpx.MockTransport(handler), **kwargs)


# --- errors ---------------------------------------------------------------------------------


def test_error_body_becomes_an_ingest_api_error_with_its_fields() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error_response(413, "too_large", "upload exceeds 50 MiB", {"limit": 52428800})

    with mock_client(handler) as api, pytest.raises(IngestAPIError) as info:
        api.submit([("a.txt", b"hello")])
    err = info.value
    assert (err.status, err.code, err.message, err.details) == (
        413,
        "too_large",
        "upload exceeds 50 MiB",
        {"limit": 52428800},
    )
    assert str(err) == "413 too_large: upload exceeds 50 MiB"


def test_a_missing_record_raises_404_with_the_server_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/records/01ABC"
        return error_response(404, "record_not_found", "no record 01ABC")

    with mock_client(handler) as api, pytest.raises(IngestAPIError) as info:
        api.record("01ABC")
    assert info.value.status == 404
    assert info.value.code == "record_not_found"


def test_an_error_without_a_json_body_still_gives_an_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    with mock_client(handler) as api, pytest.raises(IngestAPIError) as info:
        api.job("j1")
    assert info.value.status == 502
    assert info.value.code == "http_502"
    assert "Bad Gateway" in info.value.message


def test_a_framework_validation_error_is_reported_as_validation_error() -> None:
    detail = [{"loc": ["query", "limit"], "msg": "must be positive"}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": detail})

    with mock_client(handler) as api, pytest.raises(IngestAPIError) as info:
        api.records("news", limit=0)
    assert (info.value.code, info.value.details) == ("validation_error", detail)


def test_an_unreachable_api_gives_api_unreachable_with_a_helpful_message(
    closed_port_url: str, no_sleep: list[float]
) -> None:
    with IngestClient(closed_port_url, timeout=5) as api, pytest.raises(ApiUnreachable) as info:
        api.job("j1")
    assert str(info.value) == (
        f"cannot reach the ingest API at {closed_port_url}: connection refused — is it running? (make run)"
    )
    assert len(no_sleep) == 4  # tried again, backing off, before giving up


def test_a_timeout_is_reported_as_unreachable_with_the_delay(no_sleep: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("timed out", request=request)

    with mock_client(handler, timeout=7) as api, pytest.raises(ApiUnreachable) as info:
        api.record("r1")
    assert "no answer within 7s" in str(info.value)
    assert calls == 5  # a GET is safe to send again


# --- retries --------------------------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_delay(no_sleep: list[float]) -> None:
    answers = [
        error_response(429, "rate_limited", "slow down", **{"Retry-After": "3"}),
        error_response(503, "unavailable", "busy", **{"Retry-After": "1"}),
        httpx.Response(200, json={"items": [], "next": None}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    with mock_client(handler) as api:
        assert api.records("news") == {"items": [], "next": None}
    assert no_sleep == [3.0, 1.0]


def test_retries_are_bounded_and_long_retry_after_is_capped(no_sleep: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return error_response(503, "unavailable", "storage down", **{"Retry-After": "600"})

    with mock_client(handler, max_retries=2, max_retry_wait=10) as api, pytest.raises(IngestAPIError) as info:
        api.job("j1")
    assert info.value.status == 503
    assert info.value.retry_after == 600
    assert calls == 3
    assert no_sleep == [10, 10]


def test_an_upload_retried_after_429_sends_the_whole_body_again(no_sleep: list[float]) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) == 1:
            return error_response(429, "rate_limited", "slow down", **{"Retry-After": "0"})
        return httpx.Response(202, json=job_json("j1", "queued", []))

    with mock_client(handler) as api:
        api.submit([("a.txt", b"x" * 200_000)])
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert len(bodies[1]) > 200_000


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


# --- submit ---------------------------------------------------------------------------------


def test_submit_sends_files_in_batches_of_at_most_fifty(tmp_path: Path, fake_api: FakeAPI) -> None:
    for i in range(120):
        (tmp_path / f"a{i:03}.txt").write_text(f"article {i}")
    progress: list[UploadProgress] = []

    with fake_api.client() as api:
        jobs = api.submit([tmp_path], collection="news", source_name="Wire", on_progress=progress.append)

    assert [j["id"] for j in jobs] == ["job1", "job2", "job3"]
    assert [len(files) for _, files in fake_api.uploads] == [50, 50, 20]
    assert all(fields == {"collection": "news", "source_name": "Wire"} for fields, _ in fake_api.uploads)
    sent = [name for _, files in fake_api.uploads for name, _, _ in files]
    assert sent == [f"a{i:03}.txt" for i in range(120)]
    assert fake_api.uploads[0][1][7][2] == b"article 7"
    last = progress[-1]
    assert (last.files_sent, last.files_total, last.batches_sent, last.batches_total) == (120, 120, 3, 3)
    assert last.bytes_sent == last.bytes_total == sum(len(f"article {i}") for i in range(120))


def test_submit_starts_a_new_batch_before_the_byte_limit_is_passed(fake_api: FakeAPI) -> None:
    items = [("a.txt", b"x" * 60), ("b.txt", b"x" * 60), ("c.txt", b"x" * 300), ("d.txt", b"x" * 10)]
    with fake_api.client(batch_bytes=100) as api:
        jobs = api.submit(items)
    assert len(jobs) == 4
    assert [[name for name, _, _ in files] for _, files in fake_api.uploads] == [
        ["a.txt"],
        ["b.txt"],
        ["c.txt"],
        ["d.txt"],
    ]


def test_submit_walks_folders_and_skips_hidden_files(tmp_path: Path, fake_api: FakeAPI) -> None:
    (tmp_path / "2021").mkdir()
    (tmp_path / "2021" / "b.html").write_text("<p>b</p>")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".DS_Store").write_text("junk")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("junk")
    single = tmp_path / "single.jsonl"
    single.write_text('{"id": 1, "text": "t"}\n')

    with fake_api.client() as api:
        api.submit([tmp_path / "2021", single, ("inline.txt", b"inline")])
        api.submit([tmp_path])

    first = [(name, ctype) for name, ctype, _ in fake_api.uploads[0][1]]
    assert first == [
        ("b.html", "text/html"),
        ("single.jsonl", "application/x-ndjson"),
        ("inline.txt", "text/plain"),
    ]
    assert [name for name, _, _ in fake_api.uploads[1][1]] == ["a.txt", "single.jsonl", "2021/b.html"]


def test_submit_sends_the_idempotency_key_and_api_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json=job_json(f"j{len(seen)}", "queued", []))

    with mock_client(handler, api_key="s3cret", batch_files=1) as api:
        api.submit([("a.txt", b"a")], idempotency_key="k")
        api.submit([("a.txt", b"a"), ("b.txt", b"b")], idempotency_key="k2")

    assert [r.headers.get("idempotency-key") for r in seen] == ["k", "k2:0", "k2:1"]
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)
    assert all(int(r.headers["content-length"]) == len(r.content) for r in seen)


def test_unusual_filenames_survive_the_multipart_encoding(fake_api: FakeAPI) -> None:
    with fake_api.client() as api:
        api.submit([('Новости "дня".txt', "текст".encode())])
    _, files = fake_api.uploads[0]
    name, _, data = files[0]
    assert name == "Новости %22дня%22.txt"  # quotes are percent-encoded, as browsers do
    assert data.decode() == "текст"


def test_a_missing_file_fails_before_anything_is_sent(tmp_path: Path, fake_api: FakeAPI) -> None:
    (tmp_path / "a.txt").write_text("a")
    with fake_api.client() as api, pytest.raises(FileNotFoundError):
        api.submit([tmp_path / "a.txt", tmp_path / "missing.txt"])
    assert fake_api.requests == []


# --- jobs -----------------------------------------------------------------------------------


def test_wait_for_long_polls_until_the_job_is_finished(no_sleep: list[float]) -> None:
    states = iter(["queued", "running", "succeeded"])
    waits: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        waits.append(request.url.params.get("wait"))
        status = next(states)
        job = job_json("j1", status, [])
        job["updated_at"] = status
        return httpx.Response(200, json=job)

    seen: list[str] = []
    with mock_client(handler) as api:
        job = api.wait_for("j1", timeout=100, on_update=lambda j: seen.append(j["status"]))
    assert job["status"] == "succeeded"
    assert seen == ["queued", "running", "succeeded"]
    assert waits == ["30", "30", "30"]


@pytest.mark.parametrize(("follow", "until"), [(False, "final"), (True, None)])
def test_wait_for_asks_for_the_final_state_unless_it_follows_changes(follow: bool, until: str | None) -> None:
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("until"))
        return httpx.Response(200, json=job_json("j1", "succeeded", []))

    with mock_client(handler) as api:
        api.wait_for("j1", timeout=100, on_update=(lambda job: None) if follow else None)
    assert asked == [until]


def test_wait_for_raises_wait_timeout_with_the_last_state(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest_client import client as client_module

    clock = [0.0]
    monkeypatch.setattr(client_module, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(client_module, "_sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    waits: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        waits.append(request.url.params.get("wait"))
        clock[0] += float(request.url.params["wait"])  # the server holds the poll for ?wait=
        return httpx.Response(200, json=job_json("j1", "running", []))

    with mock_client(handler) as api, pytest.raises(WaitTimeoutError) as info:
        api.wait_for("j1", timeout=45)
    assert waits == ["30", "15"]
    assert info.value.job is not None and info.value.job["status"] == "running"
    assert isinstance(info.value, TimeoutError)


def test_job_without_wait_sends_no_wait_parameter() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "wait" not in request.url.params
        assert request.url.raw_path == b"/v1/jobs/j%2F1"
        return httpx.Response(200, json=job_json("j/1", "queued", []))

    with mock_client(handler) as api:
        assert api.job("j/1")["id"] == "j/1"


# --- records --------------------------------------------------------------------------------


def feed_handler(pages: dict[str | None, dict[str, Any]], seen: list[dict[str, str]]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        return httpx.Response(200, json=pages[params.get("after")])

    return handler


def test_iter_records_follows_next_cursors_to_the_end() -> None:
    pages: dict[str | None, dict[str, Any]] = {
        None: {"items": [{"id": "r1"}, {"id": "r2"}], "next": "c2"},
        "c2": {"items": [{"id": "r3"}, {"id": "r4"}], "next": "c4"},
        "c4": {"items": [{"id": "r5"}], "next": None},
    }
    seen: list[dict[str, str]] = []
    with mock_client(feed_handler(pages, seen)) as api:
        ids = [r["id"] for r in api.iter_records("news", limit=2)]
    assert ids == ["r1", "r2", "r3", "r4", "r5"]
    assert seen == [
        {"collection": "news", "limit": "2"},
        {"collection": "news", "limit": "2", "after": "c2"},
        {"collection": "news", "limit": "2", "after": "c4"},
    ]


def test_iter_records_with_follow_polls_from_the_last_cursor_without_repeats(no_sleep: list[float]) -> None:
    answers = iter(
        [
            {"items": [{"id": "r1"}], "next": "c1"},
            {"items": [{"id": "r2"}], "next": None},  # end of the feed for now
            {"items": [{"id": "r2"}], "next": None},  # nothing new yet
            {"items": [{"id": "r2"}, {"id": "r3"}], "next": "c3"},
            {"items": [], "next": None},
            {"items": [{"id": "r4"}], "next": None},
        ]
    )
    afters: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        afters.append(request.url.params.get("after"))
        return httpx.Response(200, json=next(answers))

    with mock_client(handler) as api:
        feed = api.iter_records("news", follow=True, poll_interval=5)
        ids = [next(feed)["id"] for _ in range(4)]
    assert ids == ["r1", "r2", "r3", "r4"]
    assert afters == [None, "c1", "c1", "c1", "c3", "c3"]
    assert no_sleep == [5, 5, 5]


def test_records_returns_one_page_with_its_cursor() -> None:
    pages: dict[str | None, dict[str, Any]] = {"c": {"items": [{"id": "r9"}], "next": "d"}}
    seen: list[dict[str, str]] = []
    with mock_client(feed_handler(pages, seen)) as api:
        assert api.records("news", after="c", limit=1) == {"items": [{"id": "r9"}], "next": "d"}


def test_parse_multipart_helper_reads_what_the_client_sends(fake_api: FakeAPI) -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202, json=job_json("j1", "queued", []))

    with mock_client(handler) as api:
        api.submit([("a.txt", b"\r\n--edge\r\n")], collection="c", language="en", source_url="http://x")
    fields, files = parse_multipart(captured[0])
    assert fields == {"collection": "c", "source_url": "http://x", "language": "en"}
    assert files == [("a.txt", "text/plain", b"\r\n--edge\r\n")]
