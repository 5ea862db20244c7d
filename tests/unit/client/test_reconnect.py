"""Connection errors: retried with exponential back-off where safe; a followed feed outlives outages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ingest_client import ApiUnreachable, IngestAPIError, IngestClient, IngestError, default_base_url
from ingest_client import client as client_module
from ingest_client.client import DEFAULT_BASE_URL, backoff_delay

from .conftest import error_response, job_json

Answer = httpx.Response | type[httpx.TransportError] | httpx.TransportError


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-off at its ceiling, so the delays are exact."""
    monkeypatch.setattr(client_module, "_random", lambda: 1.0)


def scripted(answers: list[Answer], seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """A handler giving each answer in turn; an exception class is raised as (cls)("...")."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, httpx.TransportError):
            raise answer
        raise answer("[Errno 111] Connection refused", request=request)

    return handler


def mock_client(answers: list[Answer], seen: list[httpx.Request], **kwargs: Any) -> IngestClient:
    return IngestClient("http://api.test", transport=httpx.MockTransport(scripted(answers, seen)), **kwargs)


def feed(items: list[str], next_cursor: str | None) -> httpx.Response:
    return httpx.Response(200, json={"items": [{"id": i} for i in items], "next": next_cursor})


# --- back-off -------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "_random", lambda: 1.0)
    assert [backoff_delay(n, 0.5, 3.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    monkeypatch.setattr(client_module, "_random", lambda: 0.0)
    assert [backoff_delay(n, 0.5, 3.0) for n in range(1, 4)] == [0.25, 0.5, 1.0]


# --- connection errors in _request ----------------------------------------------------------


def test_a_refused_connection_is_retried_with_exponential_backoff(
    no_sleep: list[float], no_jitter: None
) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [httpx.ConnectError, httpx.ConnectError, httpx.ConnectError, feed(["r1"], "c1")]
    with mock_client(answers, seen) as api:
        assert api.records("news")["items"] == [{"id": "r1"}]
    assert len(seen) == 4
    assert no_sleep == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["connect-timeout", "read-timeout", "reset", "closed"],
)
def test_timeouts_and_resets_of_a_get_are_retried(
    error: httpx.TransportError, no_sleep: list[float], no_jitter: None
) -> None:
    seen: list[httpx.Request] = []
    with mock_client([error, httpx.Response(200, json=job_json("j1", "running", []))], seen) as api:
        assert api.job("j1")["status"] == "running"
    assert len(seen) == 2
    assert no_sleep == [0.5]


def test_retries_are_bounded_and_shared_with_429_503_and_retry_after_is_honoured(
    no_sleep: list[float], no_jitter: None
) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [
        httpx.ConnectError,
        error_response(503, "service_unavailable", "redis down", **{"Retry-After": "2"}),
        httpx.ConnectError,
    ]
    with mock_client(answers, seen, max_retries=2) as api, pytest.raises(ApiUnreachable) as info:
        api.job("j1")
    assert len(seen) == 3
    assert no_sleep == [0.5, 2.0]  # back-off 1, Retry-After 2 (not back-off 2 = 1.0)
    assert info.value.reason == "connection refused"
    assert info.value.retryable


def test_a_refused_upload_is_sent_again_whole(no_sleep: list[float]) -> None:
    seen: list[httpx.Request] = []
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        bodies.append(request.read())
        return httpx.Response(202, json=job_json("j1", "queued", []))

    with IngestClient("http://api.test", transport=httpx.MockTransport(handler)) as api:
        (job,) = api.submit([("a.txt", b"x" * 100_000)])
    assert job["id"] == "j1"
    assert len(seen) == 2 and len(bodies[0]) > 100_000


def test_an_upload_cut_off_after_sending_is_not_repeated_without_an_idempotency_key(
    no_sleep: list[float],
) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [httpx.ReadError("[Errno 104] Connection reset by peer")]
    with mock_client(answers, seen) as api, pytest.raises(ApiUnreachable) as info:
        api.submit([("a.txt", b"text")])
    assert len(seen) == 1  # the server may have created the job: sending again could make two
    assert not info.value.retryable
    assert no_sleep == []


def test_an_upload_with_an_idempotency_key_is_repeated_after_a_reset(no_sleep: list[float]) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.Response(202, json=job_json("j1", "queued", [])),
    ]
    with mock_client(answers, seen) as api:
        (job,) = api.submit([("a.txt", b"text")], idempotency_key="k")
    assert job["id"] == "j1"
    assert [r.headers["idempotency-key"] for r in seen] == ["k", "k"]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."),
    ],
    ids=["unknown-host", "bad-scheme"],
)
def test_mistakes_that_waiting_cannot_fix_are_not_retried(
    error: httpx.TransportError, no_sleep: list[float]
) -> None:
    seen: list[httpx.Request] = []
    with mock_client([error], seen) as api, pytest.raises(ApiUnreachable) as info:
        api.job("j1")
    assert len(seen) == 1
    assert no_sleep == []
    assert not info.value.retryable


# --- a followed feed ------------------------------------------------------------------------


def test_a_followed_feed_waits_out_an_outage_and_resumes_from_its_cursor_without_repeats(
    no_sleep: list[float], no_jitter: None
) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [
        feed(["r1"], "c1"),
        feed(["r2"], None),  # end of the feed for now: r2 seen since cursor c1
        httpx.ConnectError,  # the API restarts …
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        error_response(502, "http_502", "bad gateway"),
        error_response(503, "service_unavailable", "starting", **{"Retry-After": "3"}),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError,
        httpx.ConnectError,
        httpx.ConnectError,
        httpx.ConnectError,  # more failures in a row than max_retries: still following
        feed(["r2", "r3"], "c3"),  # … and is back
        feed(["r4"], "c4"),
    ]
    retries: list[tuple[str, float]] = []

    def on_retry(error: IngestError, delay: float) -> None:
        retries.append((type(error).__name__, delay))

    with mock_client(answers, seen, max_retry_wait=4) as api:
        records = api.iter_records("news", follow=True, poll_interval=5, on_retry=on_retry)
        ids = [next(records)["id"] for _ in range(4)]

    assert ids == ["r1", "r2", "r3", "r4"]
    afters = [r.url.params.get("after") for r in seen]
    assert afters == [None, "c1", *["c1"] * 10, "c3"]
    assert retries == [
        ("ApiUnreachable", 0.5),
        ("ApiUnreachable", 1.0),
        ("IngestAPIError", 2.0),
        ("IngestAPIError", 3.0),  # Retry-After
        ("ApiUnreachable", 4.0),  # capped at max_retry_wait
        ("ApiUnreachable", 4.0),
        ("ApiUnreachable", 4.0),
        ("ApiUnreachable", 4.0),
        ("ApiUnreachable", 4.0),
    ]
    assert no_sleep == [5, *[delay for _, delay in retries]]


def test_after_a_recovery_the_backoff_starts_again_from_the_beginning(
    no_sleep: list[float], no_jitter: None
) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [
        httpx.ConnectError,
        httpx.ConnectError,
        feed(["r1"], "c1"),
        httpx.ConnectError,
        feed(["r2"], "c2"),
    ]
    with mock_client(answers, seen) as api:
        records = api.iter_records("news", follow=True)
        assert [next(records)["id"] for _ in range(2)] == ["r1", "r2"]
    assert no_sleep == [0.5, 1.0, 0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_followed_feed_still_stops_on_a_refusal(status: int, no_sleep: list[float]) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [feed(["r1"], "c1"), error_response(status, "nope", "refused")]
    with mock_client(answers, seen) as api, pytest.raises(IngestAPIError) as info:
        list(api.iter_records("news", follow=True))
    assert info.value.status == status
    assert no_sleep == []


def test_a_feed_that_is_not_followed_gives_up_after_the_bounded_retries(no_sleep: list[float]) -> None:
    seen: list[httpx.Request] = []
    answers: list[Answer] = [httpx.ConnectError] * 5
    with mock_client(answers, seen) as api, pytest.raises(ApiUnreachable):
        list(api.iter_records("news"))
    assert len(seen) == 5


# --- where the API is -----------------------------------------------------------------------


def test_the_base_url_comes_from_ingest_api_url_else_ingest_api_port() -> None:
    assert default_base_url({}) == DEFAULT_BASE_URL
    assert default_base_url({"INGEST_API_PORT": "8123"}) == "http://127.0.0.1:8123"
    both = {"INGEST_API_URL": "http://api.example:9000", "INGEST_API_PORT": "8123"}
    assert default_base_url(both) == "http://api.example:9000"
    assert default_base_url({"INGEST_API_URL": "", "INGEST_API_PORT": " 8123 "}) == "http://127.0.0.1:8123"
    for bad in ("http", "0", "70000", "-1"):
        with pytest.raises(IngestError, match="INGEST_API_PORT"):
            default_base_url({"INGEST_API_PORT": bad})


def test_a_client_without_a_base_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INGEST_API_URL", raising=False)
    monkeypatch.setenv("INGEST_API_PORT", "8123")
    with IngestClient() as api:
        assert api.base_url == "http://127.0.0.1:8123"
