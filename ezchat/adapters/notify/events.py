"""Event webhooks' POSTs: the event's JSON, signed with the webhook's secret like the
notification webhook (``X-EZChat-Webhook-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256 of
"<t>." + body>``), through the guarded outbound client."""

from __future__ import annotations

from ezchat.adapters.notify.webhook import signed
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.domain.webhooks import Delivery, Webhook
from ezchat.ports.clock import Clock
from ezchat.ports.webhooks import Sent

USER_AGENT = "EZChat-Webhooks/1"


class HttpEventSender:
    def __init__(self, *, http: OutboundHttp, clock: Clock, timeout_s: float) -> None:
        self._http = http
        self._clock = clock
        self._timeout_s = timeout_s

    async def send(self, webhook: Webhook, delivery: Delivery) -> Sent:
        body = delivery.body.encode("utf-8", "replace")
        timestamp = int(self._clock.now().timestamp())
        answer = await self._http.post(
            webhook.url,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-EZChat-Webhook-Signature": signed(webhook.secret, timestamp, body),
                "X-EZChat-Event-Id": delivery.event_id,
                "X-EZChat-Event-Type": delivery.event_type,
                "X-EZChat-Webhook-Id": webhook.id,
            },
            timeout_s=self._timeout_s,
        )
        error = answer.error
        if error is None and answer.code is not None and not 200 <= answer.code < 300:
            error = f"HTTP {answer.code}"
        return Sent(answer.code, error=error, refused=answer.refused)

    def close(self) -> None:
        self._http.close()
