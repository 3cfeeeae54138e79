"""The webhook channel: a signed POST of the notification's JSON to NOTIFY_WEBHOOK_URL.

``X-EZChat-Webhook-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``, keyed
with NOTIFY_WEBHOOK_SECRET: the timestamp is signed with the body, so a captured request cannot
be replayed later with a fresh timestamp. A receiver checks the signature, then that ``t`` is
recent, then drops an ``id`` it has seen (retries repeat it).

``X-EZChat-Signature`` (the body alone) and ``X-EZChat-Timestamp`` are still sent for receivers
written against the first release; they are deprecated and go in the next one."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection

from ezchat.adapters.notify.http import USER_AGENT, answered, payload
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.domain.notify import Notice
from ezchat.ports.clock import Clock
from ezchat.ports.notify import Outcome

KEY = "webhook"


def signature(secret: str, body: bytes) -> str:
    """The deprecated signature, of the body alone."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookChannel:
    name = "webhook"

    def __init__(
        self, *, url: str, secret: str, timeout_s: float, clock: Clock, http: OutboundHttp
    ) -> None:
        self._url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._clock = clock
        self._http = http

    async def deliver(self, notice: Notice, done: Collection[str]) -> list[Outcome]:
        if KEY in done:
            return []
        now = self._clock.now()
        body = payload(notice, now)
        timestamp = int(now.timestamp())
        answer = await self._http.post(
            self._url,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-EZChat-Webhook-Signature": signed(self._secret, timestamp, body),
                "X-EZChat-Signature": signature(self._secret, body),
                "X-EZChat-Timestamp": str(timestamp),
                "X-EZChat-Notification-Id": notice.id,
            },
            timeout_s=self._timeout_s,
        )
        return [answered(KEY, answer)]

    async def aclose(self) -> None:
        return None
