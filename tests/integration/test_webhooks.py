"""Webhooks end to end: a real receiver on loopback, subscriptions made through the real API,
deliveries sent by the real worker's dispatcher and verified with the Standard Webhooks
reference verifier; retries keep their webhook-id; the log shows every attempt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from standardwebhooks.webhooks import Webhook

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore
from ingest_core.keys import RedisKeys
from ingest_core.settings import Settings
from ingest_core.webhooks import NewDelivery, event_body, new_secret
from ingest_devstack.servers import ApiServer
from ingest_worker.webhooks import WebhookDispatcher

pytestmark = pytest.mark.integration


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers as planned."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    # path → how many times to answer 500 to each new webhook-id of this type before 200
    fail_first: dict[tuple[str, str], int] = field(default_factory=dict)
    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)  # path → fixed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(
        self, path: str, done: Callable[[list[Received]], bool], timeout: float = 60
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if done(got):
                return got
            time.sleep(0.1)
        raise AssertionError(f"the receiver did not get what was expected at {path}: {self.at(path)}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            extra: dict[str, str] = {}
            status, answer = 200, b"ok"
            with receiver.lock:
                if self.path in receiver.answers:
                    status, extra, answer = receiver.answers[self.path]
                else:
                    kind = json.loads(body).get("type", "")
                    failures = receiver.fail_first.get((self.path, kind), 0)
                    earlier = [
                        r
                        for r in receiver.requests
                        if r.path == self.path and r.headers.get("webhook-id") == headers.get("webhook-id")
                    ]
                    if len(earlier) < failures:
                        status, answer = 500, b"receiver says no"
                receiver.requests.append(Received(self.path, headers, body, status))
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(server)
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def upload(api: httpx.Client, collection: str, bodies: list[bytes], **data: str) -> httpx.Response:
    files = [("files", (f"story{i}.txt", body, "text/plain")) for i, body in enumerate(bodies)]
    return api.post("/v1/documents", files=files, data={"collection": collection, **data})


def subscribe(api: httpx.Client, url: str, collection: str, events: list[str]) -> dict[str, Any]:
    response = api.post("/v1/webhooks", json={"url": url, "events": events, "collection": collection})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def verified(secret: str, request: Received) -> dict[str, Any]:
    """The payload, once the reference verifier accepts the request's signature."""
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


def test_a_subscriber_gets_signed_events_and_a_failing_one_gets_retries_with_the_same_id(
    api: httpx.Client,
    receiver: Receiver,
    collection: str,
    distinct_articles: list[bytes],
    wait_job: Callable[..., dict[str, Any]],
) -> None:
    receiver.fail_first[("/hooks", "job.finished")] = 2
    hook = subscribe(api, receiver.url("/hooks"), collection, ["job.finished", "record.stored"])
    assert hook["secret"].startswith("whsec_")
    assert hook["collection"] == collection
    assert hook["events"] == ["job.finished", "record.stored"]

    job = upload(api, collection, distinct_articles).json()
    finished = wait_job(api, job["id"])
    assert finished["counts"]["stored"] == 3

    got = receiver.wait_for(
        "/hooks",
        lambda rs: (
            sum(r.payload["type"] == "record.stored" for r in rs) >= 3
            and any(r.payload["type"] == "job.finished" and r.answered == 200 for r in rs)
        ),
    )
    for request in got:
        assert verified(hook["secret"], request)["type"] in {"job.finished", "record.stored"}

    stored = [r for r in got if r.payload["type"] == "record.stored"]
    record_ids = {d["record_id"] for d in finished["documents"]}
    assert {r.payload["data"]["id"] for r in stored} == record_ids
    assert all(r.payload["data"]["collection"] == collection for r in stored)
    assert len({r.headers["webhook-id"] for r in stored}) == 3

    # job.finished: 500, 500, then 200, every time with the same webhook-id and body.
    job_calls = [r for r in got if r.payload["type"] == "job.finished"]
    assert [r.answered for r in job_calls] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in job_calls}) == 1
    assert len({r.body for r in job_calls}) == 1
    data = job_calls[0].payload["data"]
    assert data["id"] == job["id"]
    assert data["status"] == "succeeded"
    assert data["collection"] == collection
    assert data["counts"]["stored"] == 3

    # The delivery log shows the attempts.
    log = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    by_id = {item["id"]: item for item in log}
    job_delivery = by_id[job_calls[0].headers["webhook-id"]]
    assert job_delivery["type"] == "job.finished"
    assert job_delivery["status"] == "delivered"
    assert job_delivery["attempts"] == 3
    assert job_delivery["last_status"] == 200
    assert job_delivery["delivered_at"] is not None
    for request in stored:
        item = by_id[request.headers["webhook-id"]]
        assert (item["type"], item["status"], item["attempts"]) == ("record.stored", "delivered", 1)


def test_an_uploads_callback_url_gets_its_job_finished_signed_with_the_secret_in_the_answer(
    api: httpx.Client,
    receiver: Receiver,
    collection: str,
    distinct_articles: list[bytes],
    wait_job: Callable[..., dict[str, Any]],
) -> None:
    response = upload(api, collection, distinct_articles[:1], callback_url=receiver.url("/cb/form"))
    assert response.status_code == 202, response.text
    secret = response.headers["webhook-secret"]
    raw = api.post(
        "/v1/documents",
        content=distinct_articles[2],
        headers={
            "content-type": "text/plain",
            "x-collection": collection,
            "x-callback-url": receiver.url("/cb/raw"),
        },
    )
    assert raw.status_code == 202, raw.text
    for path, job, key in [
        ("/cb/form", response.json(), secret),
        ("/cb/raw", raw.json(), raw.headers["webhook-secret"]),
    ]:
        wait_job(api, job["id"])
        (request,) = receiver.wait_for(path, lambda rs: len(rs) >= 1)
        payload = verified(key, request)
        assert payload["type"] == "job.finished"
        assert payload["data"]["id"] == job["id"]
        assert payload["data"]["status"] == "succeeded"
    time.sleep(1)  # nothing else comes: a callback is for job.finished of its own job only
    assert len(receiver.at("/cb/form")) == 1
    # An upload without a callback_url answers no secret.
    assert "webhook-secret" not in upload(api, collection, distinct_articles[1:2]).headers


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "http://192.168.1.20:8080/hook", "http://[::1]/hook", "ftp://127.0.0.1/"]
)
def test_a_private_address_is_refused_without_the_allow_list(
    api: httpx.Client, collection: str, url: str, distinct_articles: list[bytes]
) -> None:
    # The suite allows 127.0.0.0/8 only.
    response = api.post(
        "/v1/webhooks", json={"url": url, "events": ["job.finished"], "collection": collection}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["details"]["url"] == url
    assert error["details"]["reason"]
    refused = upload(api, collection, distinct_articles[:1], callback_url=url)
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["callback_url"] == url


def test_webhooks_are_listed_read_and_deleted(api: httpx.Client, receiver: Receiver, collection: str) -> None:
    hook = subscribe(api, receiver.url("/h"), collection, ["record.stored"])
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}").json()
    assert hook["id"] in {h["id"] for h in api.get("/v1/webhooks").json()["items"]}
    assert all("secret" not in h for h in api.get("/v1/webhooks").json()["items"])
    assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    for path in (f"/v1/webhooks/{hook['id']}", f"/v1/webhooks/{hook['id']}/deliveries"):
        assert api.get(path).status_code == 404
    assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert api.get("/v1/webhooks/not-an-id").status_code == 404
    bad = api.post("/v1/webhooks", json={"url": receiver.url("/h"), "events": ["job.started"]})
    assert bad.status_code == 422


# --- tenants -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tenant_api(stack_env: dict[str, str], servers_dir: Path) -> Iterator[ApiServer]:
    tenants = [{"name": "acme", "keys": ["acme-key"]}, {"name": "beta", "keys": ["beta-key"]}]
    server = ApiServer({**stack_env, "INGEST_TENANTS": json.dumps(tenants)}, servers_dir / "logs-webhooks")
    server.start()
    yield server
    server.stop()


def test_another_tenants_webhook_is_404(tenant_api: ApiServer, receiver: Receiver, collection: str) -> None:
    with (
        httpx.Client(base_url=tenant_api.url, headers={"X-API-Key": "acme-key"}, timeout=30) as acme,
        httpx.Client(base_url=tenant_api.url, headers={"X-API-Key": "beta-key"}, timeout=30) as beta,
    ):
        hook = subscribe(acme, receiver.url("/t"), collection, ["job.finished"])
        assert hook["collection"] == collection  # the tenant's own name
        for method, path in [
            ("GET", f"/v1/webhooks/{hook['id']}"),
            ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
            ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ]:
            response = beta.request(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json()["error"]["details"] == {"webhook_id": hook["id"]}
        assert beta.get("/v1/webhooks").json()["items"] == []
        assert acme.get(f"/v1/webhooks/{hook['id']}").status_code == 200  # beta's DELETE did nothing
        assert acme.delete(f"/v1/webhooks/{hook['id']}").status_code == 204


# --- the dispatcher on its own (a key prefix of its own: the session worker never sees it) ---


@pytest.fixture
def dispatcher_for(redis_client: redis.Redis[bytes]) -> Iterator[Callable[..., WebhookDispatcher]]:
    made: list[WebhookDispatcher] = []

    def make(**settings: Any) -> WebhookDispatcher:
        jobs = JobStore(redis_client, RedisKeys(f"t{new_id().lower()}"))
        base = {"webhook_allowed_networks": ["127.0.0.0/8"], "webhook_retry_base_seconds": 0.1}
        dispatcher = WebhookDispatcher(Settings(**{**base, **settings}), jobs)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.http.close()


def _callback(dispatcher: WebhookDispatcher, url: str) -> str:
    delivery = NewDelivery(
        id=f"msg_{new_id()}",
        type="job.finished",
        body=event_body("job.finished", {}),
        url=url,
        secret=new_secret(),
    )
    dispatcher.store.enqueue([delivery])
    return delivery.id


def _sweep_until(dispatcher: WebhookDispatcher, delivery_id: str, status: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.sweep()
        raw = dispatcher.jobs.redis.hgetall(dispatcher.jobs.keys.delivery(delivery_id))
        row = {k.decode(): v.decode(errors="replace") for k, v in raw.items()}
        if row.get("status") == status:
            return row
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} is not {status}")


def test_a_delivery_that_keeps_failing_is_given_up_when_its_window_ends(
    dispatcher_for: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    receiver.answers["/down"] = (503, {}, b"x" * 100_000)  # a long answer is read only in part
    dispatcher = dispatcher_for(webhook_retry_for_seconds=1.5)
    row = _sweep_until(dispatcher, _callback(dispatcher, receiver.url("/down")), "failed")
    attempts = receiver.at("/down")
    assert int(row["attempts"]) == len(attempts) >= 3
    assert len({r.headers["webhook-id"] for r in attempts}) == 1
    assert row["last_status"] == "503"
    assert len(row["last_error"]) <= 500


def test_a_redirect_is_not_followed(
    dispatcher_for: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    receiver.answers["/moved"] = (302, {"location": receiver.url("/elsewhere")}, b"")
    dispatcher = dispatcher_for(webhook_retry_for_seconds=0.5)
    row = _sweep_until(dispatcher, _callback(dispatcher, receiver.url("/moved")), "failed")
    assert "redirect" in row["last_error"]
    assert receiver.at("/elsewhere") == []


def test_the_address_is_checked_again_at_delivery(
    dispatcher_for: Callable[..., WebhookDispatcher], receiver: Receiver
) -> None:
    # Accepted when it was made; the operator has since withdrawn loopback from the allow-list.
    dispatcher = dispatcher_for(webhook_allowed_networks=[], webhook_retry_for_seconds=0.5)
    row = _sweep_until(dispatcher, _callback(dispatcher, receiver.url("/gone")), "failed")
    assert "loopback" in row["last_error"]
    assert receiver.at("/gone") == []


def test_the_python_client_manages_webhooks(api: httpx.Client, receiver: Receiver, collection: str) -> None:
    from ingest_client import IngestClient

    with IngestClient(str(api.base_url)) as client:
        hook = client.create_webhook(receiver.url("/c"), ["job.finished"], collection)
        assert hook["secret"].startswith("whsec_")
        assert client.webhook(hook["id"])["url"] == receiver.url("/c")
        assert hook["id"] in {h["id"] for h in client.webhooks()}
        assert client.webhook_deliveries(hook["id"]) == []
        client.delete_webhook(hook["id"])
        assert hook["id"] not in {h["id"] for h in client.webhooks()}
