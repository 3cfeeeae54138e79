"""``BEFORE_SEND_URL``: every send is POSTed there first, signed like the notification webhook
(``X-EZChat-Webhook-Signature``, the timestamp under the signature), through the guarded
outbound client. Calls run concurrently, at most ``MAX_IN_FLIGHT`` at once (the rest wait, and
the wait counts against the timeout); a hook that does not answer in time, answers an error or
something unreadable is handled by the failure policy: ``open`` lets the message through,
``closed`` refuses it."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from ezchat.adapters.codec import attachments_out
from ezchat.adapters.notify.webhook import signed
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.ports.hooks import Outgoing, Verdict

log = logging.getLogger("ezchat.hooks")

MAX_IN_FLIGHT = 64
MAX_ANSWER_BYTES = 64 * 1024


class HttpBeforeSend:
    def __init__(
        self,
        *,
        url: str,
        secret: str | None,
        timeout_s: float,
        fail_open: bool,
        allow_private: bool,
    ) -> None:
        self._url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._fail_open = fail_open
        self._http = OutboundHttp(
            allow_private=allow_private,
            max_answer_bytes=MAX_ANSWER_BYTES,
            per_target=MAX_IN_FLIGHT,
        )
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)

    def _failed(self, why: str) -> Verdict:
        log.warning(
            "before-send hook: %s (failing %s)", why, "open" if self._fail_open else "closed"
        )
        if self._fail_open:
            return Verdict("allow")
        return Verdict("reject", reason="the message could not be checked; try again")

    async def check(self, message: Outgoing) -> Verdict:
        body = json.dumps(
            {
                "type": "message.before_send",
                "message": {
                    "conversation_id": message.conversation_id,
                    "sender_id": message.sender_id,
                    "client_id": message.client_id,
                    "text": message.text,
                    "attachments": attachments_out(message.attachments),
                    "reply_to": message.reply_to,
                },
            },
            ensure_ascii=False,
        ).encode("utf-8", "surrogatepass")
        headers = {"Content-Type": "application/json"}
        if self._secret:
            headers["X-EZChat-Webhook-Signature"] = signed(self._secret, int(time.time()), body)
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._slots:
                    answer, got = await self._http.post_reading(
                        self._url, body=body, headers=headers, timeout_s=self._timeout_s
                    )
        except TimeoutError:
            return self._failed("no answer in time")
        if answer.code != 200:
            return self._failed(f"answered {answer.code or answer.error}")
        try:
            data = json.loads(got)
            action = data["action"]
        except (ValueError, KeyError, TypeError):
            return self._failed('the answer is not {"action": ...}')
        if action == "allow":
            return Verdict("allow")
        if action == "reject":
            reason = data.get("reason")
            return Verdict("reject", reason=reason if isinstance(reason, str) else "")
        if action == "replace" and isinstance(data.get("text"), str):
            return Verdict("replace", text=data["text"])
        return self._failed(f"unknown action {action!r}")
