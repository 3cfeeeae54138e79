"""The webhook channel: a signed POST of the notification's JSON to NOTIFY_WEBHOOK_URL.

``X-EZChat-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with NOTIFY_WEBHOOK_SECRET>``.
The body holds ``sent_at``, and ``X-EZChat-Timestamp`` repeats it in Unix seconds: a receiver
checks the signature, then that the timestamp is recent (replays of an old request fail), then
drops an ``id`` it has seen (retries repeat it)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from ezchat.adapters.notify.http import USER_AGENT, failure, outcome, payload
from ezchat.domain.notify import Notice
from ezchat.ports.clock import Clock
from ezchat.ports.notify import Outcome

KEY = "webhook"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self, *, url: str, secret: str, timeout_s: float, clock: Clock, http: AsyncHTTPClient
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
        request = HTTPRequest(
            self._url,
            method="POST",
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-EZChat-Signature": signature(self._secret, body),
                "X-EZChat-Timestamp": str(int(now.timestamp())),
                "X-EZChat-Notification-Id": notice.id,
            },
            connect_timeout=self._timeout_s,
            request_timeout=self._timeout_s,
            follow_redirects=False,
        )
        try:
            resp = await self._http.fetch(request, raise_error=False)
        except Exception as exc:  # refused, timed out, TLS: the receiver is not there
            return [failure(KEY, exc)]
        if resp.code == 599 and resp.error is not None:  # no HTTP answer (a timeout)
            return [failure(KEY, resp.error)]
        return [outcome(KEY, resp.code, resp.headers.get("Retry-After"))]

    async def aclose(self) -> None:
        return None
