"""What a client can send over real HTTP never becomes a 5xx, a traceback or a leaked file.

Oversize chunked bodies (no Content-Length) are refused with the JSON 413 and their spool
files released; uploads aborted mid-body leave one log line, not a traceback.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest_devstack.servers import ApiServer

pytestmark = pytest.mark.integration

LIMIT = 3 * 1024 * 1024  # above the 1 MiB the upload spool keeps in memory: it rolls over to a file


@pytest.fixture(scope="module")
def small_limit_api(stack_env: dict[str, str], servers_dir: Path) -> Iterator[ApiServer]:
    server = ApiServer({**stack_env, "INGEST_MAX_UPLOAD_BYTES": str(LIMIT)}, servers_dir / "logs-small-limit")
    server.start()
    yield server
    server.stop()


def _open_files(pid: int) -> list[str]:
    """What the process's descriptors point at (sockets, pipes, files; deleted temp files too)."""
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:  # closed while we looked
            continue
    return links


def _chunked(total: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * piece
        sent += piece


def test_a_chunked_body_over_the_limit_is_a_json_413_and_leaks_no_spool_file(
    small_limit_api: ApiServer,
) -> None:
    assert small_limit_api.pid is not None
    with httpx.Client(base_url=small_limit_api.url, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        before = _open_files(small_limit_api.pid)
        for _ in range(5):
            response = client.post(
                "/v1/documents", content=_chunked(2 * LIMIT), headers={"Content-Type": "text/plain"}
            )
            assert "content-length" not in response.request.headers  # sent chunked
            assert response.status_code == 413, response.text
            error = response.json()["error"]
            assert error["code"] == "payload_too_large" and str(LIMIT) in error["message"]
            assert error["details"]["limit_bytes"] == LIMIT
        time.sleep(0.5)  # let the server finish each request
        after = _open_files(small_limit_api.pid)
    deleted = [link for link in after if link.endswith("(deleted)")]
    assert deleted == [link for link in before if link.endswith("(deleted)")]
    assert len(after) <= len(before) + 2  # a keep-alive socket or two, never one per request
    log = small_limit_api.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "ExceptionGroup" not in log


def test_a_chunked_multipart_body_over_the_limit_is_a_json_413_too(small_limit_api: ApiServer) -> None:
    boundary = "hostileboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        yield from _chunked(2 * LIMIT)

    with httpx.Client(base_url=small_limit_api.url, timeout=30) as client:
        response = client.post(
            "/v1/documents",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


def _server_errors(client: httpx.Client) -> float:
    metrics = client.get("/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("ingest_http_requests_total{") and re.search(r'status="5\d\d"', line)
    )


def _abort_upload(api_server: ApiServer, head: str, body_start: bytes) -> None:
    """Sends the request head and the start of the body, then hangs up."""
    with socket.create_connection((api_server.host, api_server.port), timeout=10) as sock:
        sock.sendall(head.encode() + body_start)
        time.sleep(0.3)


def _wait_for(log: Path, offset: int, text: str, count: int, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    new = ""
    while time.monotonic() < deadline:
        new = log.read_bytes()[offset:].decode(errors="replace")
        if new.count(text) >= count:
            return new
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged {count} times within {timeout}s:\n{new[-3000:]}")


def test_an_upload_aborted_mid_body_is_one_log_line_without_a_traceback_or_a_5xx(
    api_server: ApiServer,
) -> None:
    size = 2 * 1024 * 1024
    raw_head = (
        "POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        f"X-Filename: story.txt\r\nContent-Length: {size}\r\n\r\n"
    )
    boundary = "abortboundary"
    multipart_head = (
        "POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {size}\r\n\r\n"
    )
    multipart_start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        errors_before = _server_errors(client)
        offset = api_server.log_path.stat().st_size
        _abort_upload(api_server, raw_head, b"x" * (size // 2))
        _abort_upload(api_server, multipart_head, multipart_start + b"y" * (size // 2))
        new_log = _wait_for(api_server.log_path, offset, "request.aborted", count=2)
        time.sleep(0.5)  # anything else the server would log about them
        new_log = api_server.log_path.read_bytes()[offset:].decode(errors="replace")
        assert _server_errors(client) == errors_before
    assert "Traceback" not in new_log and "Exception in ASGI" not in new_log
    aborted = [line for line in new_log.splitlines() if "request.aborted" in line]
    assert len(aborted) == 2 and all("/v1/documents" in line for line in aborted)
