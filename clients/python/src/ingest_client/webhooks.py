"""Verifying a webhook delivery on the receiving side (Standard Webhooks), without the server.

    payload = verify_webhook(secret, request_body, request_headers)

Raises ``WebhookVerificationFailed`` unless one of the ``webhook-signature`` values is the
HMAC-SHA256 of ``"{webhook-id}.{webhook-timestamp}.{body}"`` under the secret and the timestamp
is within ``tolerance`` seconds of now. Deliveries come at least once: skip a ``webhook-id``
already handled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any


class WebhookVerificationFailed(ValueError):
    """The delivery is not signed with this secret, or is too old or too new."""


def verify_webhook(
    secret: str, body: bytes, headers: Mapping[str, str], *, tolerance: float = 300
) -> dict[str, Any]:
    """The delivery's payload (``{"type", "timestamp", "data"}``) once its signature checks out."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (
        lowered.get("webhook-id"),
        lowered.get("webhook-timestamp"),
        lowered.get("webhook-signature"),
    )
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationFailed("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        when = int(stamp)
    except ValueError:
        raise WebhookVerificationFailed("webhook-timestamp is not a number") from None
    if abs(time.time() - when) > tolerance:
        raise WebhookVerificationFailed("webhook-timestamp is too far from now")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{when}.".encode() + body, hashlib.sha256).digest()
    for item in signatures.split():
        version, _, value = item.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(expected, given):
            payload: dict[str, Any] = json.loads(body)
            return payload
    raise WebhookVerificationFailed("no matching signature")
