"""The lean S3 path: botocore's signature byte for byte, and boto3's error and retry behaviour
against a loopback server that answers what a test tells it to."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, EndpointConnectionError

from ingest_core.s3_requests import S3Requests
from ingest_core.storage import ObjectStore
from ingest_worker.tasks import is_transient


def _requests(endpoint: str, attempts: int = 4) -> S3Requests:
    return S3Requests(
        endpoint, "ingest", "AKIDEXAMPLE", "secret/key+x", region="eu-west-3", max_attempts=attempts
    )


@pytest.mark.parametrize(
    "key",
    ["records/v1/news/2026/11/30/01J.json", "raw/acme~news/ab cd", "jobs/ünï+code!(1).json", "a//b/=&?#%"],
)
@pytest.mark.parametrize("method", ["PUT", "GET"])
def test_the_signature_is_botocores(key: str, method: str) -> None:
    body = b'{"id": 1}' if method == "PUT" else b""
    headers = (
        {"Content-Type": "application/json", "If-None-Match": "*"}
        if method == "PUT"
        else {"Range": "bytes=0-9"}
    )
    url = "http://127.0.0.1:8333/ingest/" + quote(key, safe="/~")
    theirs = AWSRequest(method, url, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials("AKIDEXAMPLE", "secret/key+x"), "s3", "eu-west-3").add_auth(theirs)
    stamp = datetime.strptime(theirs.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    ours = _requests("http://127.0.0.1:8333").sign(
        method, "/ingest/" + quote(key, safe="/~"), headers, theirs.headers["X-Amz-Content-SHA256"], stamp
    )
    assert ours["authorization"] == theirs.headers["Authorization"]


class _Answering(BaseHTTPRequestHandler):
    """A quiet loopback handler that answers GET and PUT alike with ``_answer``."""

    def _answer(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Script:
    """What the loopback server answers, request after request, and what it received."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.received: list[tuple[str, str, dict[str, str], bytes]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, _Script]]:
    script = _Script()

    class Handler(_Answering):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.received.append(
                (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, payload = script.answers.pop(0) if script.answers else (200, b"")
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def _error(code: str) -> bytes:
    return f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>m</Message></Error>".encode()


def test_a_put_sends_the_body_path_and_condition(server: tuple[str, _Script]) -> None:
    url, script = server
    _requests(url).put("records/v1/a b.json", b"{}", content_type="application/json", if_none_match=True)
    ((method, path, headers, body),) = script.received
    assert (method, path, body) == ("PUT", "/ingest/records/v1/a%20b.json", b"{}")
    assert headers["if-none-match"] == "*" and headers["content-type"] == "application/json"


def test_server_errors_and_throttling_are_retried_until_an_answer(
    server: tuple[str, _Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    monkeypatch.setattr("ingest_core.s3_requests.random.uniform", lambda a, b: 0.0)
    script.answers = [(503, _error("SlowDown")), (500, _error("InternalError")), (206, b"0123")]
    assert _requests(url).get("raw/x", (10, 14)) == b"0123"
    assert [r[2]["range"] for r in script.received] == ["bytes=10-13"] * 3


def test_lasting_server_errors_raise_a_transient_client_error(
    server: tuple[str, _Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    monkeypatch.setattr("ingest_core.s3_requests.random.uniform", lambda a, b: 0.0)
    script.answers = [(503, _error("SlowDown"))] * 2
    with pytest.raises(ClientError) as raised:
        _requests(url, attempts=2).get("raw/x")
    assert raised.value.response["Error"]["Code"] == "SlowDown" and is_transient(raised.value)
    assert len(script.received) == 2


def test_client_errors_are_not_retried_and_keep_their_code(server: tuple[str, _Script]) -> None:
    url, script = server
    script.answers = [(403, _error("AccessDenied"))]
    with pytest.raises(ClientError) as raised:
        _requests(url).put("k", b"x", content_type="text/plain")
    assert raised.value.response["Error"]["Code"] == "AccessDenied" and not is_transient(raised.value)
    assert len(script.received) == 1


def test_the_object_store_reads_its_answers_as_with_boto3(server: tuple[str, _Script]) -> None:
    url, script = server
    store = ObjectStore(client=None, bucket="ingest", requests=_requests(url))  # type: ignore[arg-type]
    script.answers = [(412, _error("PreconditionFailed")), (404, b""), (200, b"stored")]
    assert store.put_if_absent("records/v1/x.json", b"{}").created is False
    with pytest.raises(Exception, match="not found"):
        store.get("records/v1/missing.json")
    assert store.get("records/v1/x.json") == b"stored"


def test_a_closed_port_is_an_endpoint_connection_error() -> None:
    with pytest.raises(EndpointConnectionError) as raised:
        _requests("http://127.0.0.1:9", attempts=1).get("raw/x")
    assert is_transient(raised.value)


def test_a_small_file_goes_through_the_lean_path_from_where_it_stands(server: tuple[str, _Script]) -> None:
    url, script = server
    store = ObjectStore(client=None, bucket="ingest", requests=_requests(url))  # type: ignore[arg-type]
    upload = io.BytesIO(b"headerBODY")
    upload.seek(6)
    assert store.put_if_absent("raw/news/abc", upload, content_type="text/plain").created
    ((method, path, _, body),) = script.received
    assert (method, path, body) == ("PUT", "/ingest/raw/news/abc", b"BODY")


class _KeptAlive:
    """An HTTP/1.1 loopback server that keeps connections open, counts them, and can close
    the idle ones (as a server's keep-alive timeout does) or answer in chunks."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.chunked: bytes | None = None
        self.open: list[Any] = []
        script = self

        class Handler(_Answering):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                script.connections += 1
                script.open.append(self.connection)

            def _answer(self) -> None:
                script.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if script.chunked is not None:
                    self.send_response(404)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    body = script.chunked
                    for part in (body[:10], body[10:]):
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close_idle(self) -> None:
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.open.clear()


@pytest.fixture
def kept_alive() -> Iterator[_KeptAlive]:
    server = _KeptAlive()
    yield server
    server.close_idle()
    server.httpd.shutdown()
    server.httpd.server_close()


def test_requests_reuse_one_kept_alive_connection(kept_alive: _KeptAlive) -> None:
    s3 = _requests(kept_alive.url)
    for i in range(5):
        s3.put(f"k{i}", b"x", content_type="text/plain")
        assert s3.get(f"k{i}") == b"ok"
    assert (kept_alive.requests, kept_alive.connections) == (10, 1)


def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error(
    kept_alive: _KeptAlive,
) -> None:
    s3 = _requests(kept_alive.url, attempts=1)  # no retry budget: the reconnect must not need one
    assert s3.get("a") == b"ok"
    kept_alive.close_idle()
    time.sleep(0.05)
    assert s3.get("b") == b"ok"
    assert (kept_alive.requests, kept_alive.connections) == (2, 2)


def test_a_chunked_error_answer_is_read_whole(kept_alive: _KeptAlive) -> None:
    kept_alive.chunked = _error("NoSuchKey")
    with pytest.raises(ClientError) as raised:
        _requests(kept_alive.url).get("missing")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"


def test_a_forked_child_opens_its_own_connections(
    kept_alive: _KeptAlive, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = _requests(kept_alive.url)
    assert s3.get("a") == b"ok"
    parent = os.getpid()
    monkeypatch.setattr("ingest_core.s3_requests.os.getpid", lambda: parent + 1)  # as in a fork's child
    assert s3.get("b") == b"ok"
    assert kept_alive.connections == 2
