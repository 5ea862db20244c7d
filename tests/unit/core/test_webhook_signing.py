"""Webhook signatures, checked by the Standard Webhooks reference verifier (the
``standardwebhooks`` package), not by our own code."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ingest_core.webhooks import SECRET_PREFIX, delivery_id, event_body, new_secret, sign, signed_headers


def test_a_signed_delivery_passes_the_reference_verifier() -> None:
    secret = new_secret()
    body = event_body("job.finished", {"id": "01J", "status": "succeeded"})
    headers = signed_headers(secret, "msg_abc", body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_the_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) == 32
    assert new_secret() != secret


def test_the_signature_matches_the_reference_signer_byte_for_byte() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the spec's example secret
    body = '{"test": 2432232314}'
    from datetime import UTC, datetime

    expected = Webhook(secret).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC), body
    )
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body.encode()) == expected


def test_a_changed_body_or_another_secret_fails_verification() -> None:
    secret = new_secret()
    body = event_body("record.stored", {"id": "01K", "collection": "news"})
    headers = signed_headers(secret, "msg_1", body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"news", b"nows"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_each_attempt_is_signed_at_its_own_time_so_a_stale_one_is_refused() -> None:
    secret = new_secret()
    body = event_body("job.finished", {})
    old = signed_headers(secret, "msg_1", body, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, old)
    retry = signed_headers(secret, "msg_1", body)
    assert Webhook(secret).verify(body, retry) is not None
    assert retry["webhook-id"] == old["webhook-id"]


def test_the_body_is_type_timestamp_and_data() -> None:
    payload = json.loads(event_body("record.stored", {"id": "x"}))
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "record.stored"
    assert payload["timestamp"].endswith("Z")


def test_a_delivery_id_is_fixed_by_what_it_is_about() -> None:
    assert delivery_id("w1", "job.finished", "j1") == delivery_id("w1", "job.finished", "j1")
    assert delivery_id("w1", "job.finished", "j1") != delivery_id("w2", "job.finished", "j1")
    assert delivery_id("w1", "job.finished", "j1").startswith("msg_")


def test_the_python_clients_verifier_accepts_what_the_service_signs() -> None:
    from ingest_client import WebhookVerificationFailed, verify_webhook

    secret = new_secret()
    body = event_body("job.finished", {"id": "01J"})
    headers = signed_headers(secret, "msg_1", body)
    assert verify_webhook(secret, body, headers)["data"] == {"id": "01J"}
    with pytest.raises(WebhookVerificationFailed):
        verify_webhook(new_secret(), body, headers)
    with pytest.raises(WebhookVerificationFailed, match="too far"):
        verify_webhook(secret, body, signed_headers(secret, "msg_1", body, timestamp=int(time.time()) - 900))
