"""The hot path to the bucket: object GET and PUT as plain signed HTTP requests.

Every document costs one record PUT, every single upload a raw PUT and GET and a summary PUT;
through boto3 each costs ~4.3 ms of CPU (its event hooks, models and signer) against ~0.7 ms
here with the same wire requests, and less wall time (``bench/RESULTS.md``, "S3 requests").
Requests go over the standard library's ``http.client`` on kept-alive connections: urllib3's
pool, header containers and response wrapper took half of each call's CPU on top of it.
Everything else (listings, multipart uploads, bucket checks) stays with boto3.

Same behaviour as the boto3 client it stands beside: SigV4 with the payload's sha256 (checked
against botocore's own signer in the tests), path-style addressing, the "standard" retry
policy (connection errors, 500/502/503/504 and throttling, exponential back-off with jitter),
and failures raised as botocore's ``ClientError`` (code and HTTP status from the error body) or
``EndpointConnectionError`` / ``ReadTimeoutError``, so callers handle both alike.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import random
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_RETRY_CODES = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError"})
_MAX_BACKOFF = 20.0


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


@dataclass
class S3Requests:
    """Signed GET/PUT of one bucket's objects at an endpoint (keep-alive connection pool)."""

    endpoint_url: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    max_attempts: int = 4
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = 32
    _connections: _Connections = field(init=False, repr=False)
    _host: str = field(init=False, repr=False)
    _prefix: str = field(init=False, repr=False)
    _keys: dict[str, bytes] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint_url)
        self._host = parts.netloc
        self._prefix = parts.path.rstrip("/") + "/" + quote(self.bucket, safe="") + "/"
        self._connections = _Connections(
            parts.scheme,
            parts.hostname or "",
            parts.port,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            keep=self.pool_size,
        )

    # --- operations ---------------------------------------------------------------------------
    def get(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        """The object, or bytes ``start`` to ``end`` (exclusive) of it. 404 → ``ClientError``
        with code ``NoSuchKey``."""
        headers = {"range": f"bytes={byte_range[0]}-{byte_range[1] - 1}"} if byte_range else {}
        return self._call("GetObject", "GET", key, b"", headers).body

    def put(self, key: str, body: bytes, *, content_type: str, if_none_match: bool = False) -> None:
        """Writes the object; with ``if_none_match`` only if absent (412 → ``PreconditionFailed``)."""
        headers = {"content-type": content_type}
        if if_none_match:
            headers["if-none-match"] = "*"
        self._call("PutObject", "PUT", key, body, headers)

    # --- the request --------------------------------------------------------------------------
    def _call(self, operation: str, method: str, key: str, body: bytes, headers: dict[str, str]) -> Response:
        path = self._prefix + quote(key, safe="/~")
        payload_hash = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
        attempt = 0
        while True:
            attempt += 1
            signed = self.sign(method, path, headers, payload_hash, datetime.now(UTC))
            try:
                response = self._connections.request(method, path, body, signed)
            except _ConnectFailed as exc:
                if attempt < self.max_attempts:
                    self._back_off(attempt)
                    continue
                raise EndpointConnectionError(endpoint_url=self.endpoint_url, error=exc.__cause__) from exc
            except (OSError, http.client.HTTPException) as exc:  # reset, read timeout, protocol error
                if attempt < self.max_attempts:
                    self._back_off(attempt)
                    continue
                raise ReadTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
            if response.status < 300:
                return response
            error = _client_error(operation, response)
            code = str(error.response.get("Error", {}).get("Code", ""))
            if (response.status in _RETRY_STATUSES or code in _RETRY_CODES) and attempt < self.max_attempts:
                self._back_off(attempt)
                continue
            raise error

    def sign(
        self, method: str, path: str, headers: dict[str, str], payload_hash: str, now: datetime
    ) -> dict[str, str]:
        """AWS Signature Version 4 headers for a request to ``path`` (already URI-encoded, as
        S3 wants it: each key segment encoded once, slashes kept), no query string."""
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
        signed |= {"host": self._host, "x-amz-date": stamp, "x-amz-content-sha256": payload_hash}
        names = sorted(signed)
        canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
        signed_names = ";".join(names)
        canonical = f"{method}\n{path}\n\n{canonical_headers}\n{signed_names}\n{payload_hash}"
        scope = f"{day}/{self.region}/s3/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        signed["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key_id}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        )
        return signed

    def _signing_key(self, day: str) -> bytes:
        """Derived once a day (four HMACs), as the key depends only on the date and scope."""
        key = self._keys.get(day)
        if key is None:
            key = ("AWS4" + self.secret_access_key).encode()
            for part in (day, self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {day: key}
        return key

    def _back_off(self, attempt: int) -> None:
        time.sleep(random.uniform(0, min(_MAX_BACKOFF, 2.0 ** (attempt - 1))))


def _client_error(operation: str, response: Response) -> ClientError:
    """botocore's error for an S3 error answer: code and message from its XML body, else the
    status (a HEAD-like empty body, or a proxy's HTML page)."""
    code, message = str(response.status), ""
    if response.body:
        try:
            root = ElementTree.fromstring(response.body)
        except ElementTree.ParseError:
            pass
        else:
            code = root.findtext("Code") or code
            message = root.findtext("Message") or ""
    if response.status == 404 and code == "404":
        code = "NoSuchKey"
    parsed: dict[str, object] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": response.status},
    }
    return ClientError(parsed, operation)  # type: ignore[arg-type]


class _ConnectFailed(Exception):
    """No connection could be opened (refused, unreachable, connect timeout): the request was
    never sent, as botocore's ``EndpointConnectionError`` says."""


class _Connections:
    """Kept-alive ``http.client`` connections to one endpoint, shared by threads.

    A connection goes back to the pool after a complete answer the server did not mark as
    its last. One the server closed while it sat idle fails on reuse before any answer: that
    request is sent again once on a fresh connection (S3 GET and PUT are idempotent), as
    urllib3 does. Connections opened before a fork are not used after it (the child would
    share its parent's sockets): a pool notices the new process and starts empty.
    """

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        keep: int,
    ) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keep = keep
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._tls: ssl.SSLContext | None = ssl.create_default_context() if scheme == "https" else None

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Response:
        reused = self._take()
        if reused is not None:
            try:
                return self._exchange(reused, method, path, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                pass  # closed by the server while idle: once more on a fresh connection
        return self._exchange(self._open(), method, path, body, headers)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
    ) -> Response:
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except BaseException:
            connection.close()
            raise
        if answer.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return Response(answer.status, data)

    def _open(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self._tls is not None:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.connect_timeout, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
        try:
            connection.connect()  # sets TCP_NODELAY; TLS handshake included for https
        except OSError as exc:
            connection.close()
            raise _ConnectFailed(str(exc)) from exc
        assert connection.sock is not None
        connection.sock.settimeout(self.read_timeout)
        return connection

    def _take(self) -> http.client.HTTPConnection | None:
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()  # the parent's sockets: not ours to use
            return self._idle.pop() if self._idle else None

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.keep and self._pid == os.getpid():
                self._idle.append(connection)
                return
        connection.close()
