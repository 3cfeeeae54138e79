"""What the channels share: the notification's JSON, and how an HTTP answer is taken."""

from __future__ import annotations

import email.utils
import json
import time
from datetime import datetime
from typing import Any

from ezchat.adapters.codec import time_out
from ezchat.adapters.outbound.client import Answer
from ezchat.domain.notify import Notice
from ezchat.ports.notify import Outcome

USER_AGENT = "EZChat-Notifier/1"
MAX_RETRY_AFTER_S = 3600.0


# What a Web Push message may carry: 4096 bytes less aes128gcm's header (86), tag (16) and
# padding delimiter (1).
MAX_PAYLOAD_BYTES = 3993


def payload(notice: Notice, sent_at: datetime) -> bytes:
    """The notification as receivers get it (docs/api.md, Notifications): UTF-8 JSON, at most
    ``MAX_PAYLOAD_BYTES`` whatever the names and text hold (escaped \\u sequences would take
    up to 12 bytes a character; UTF-8 takes 4). Never fails to encode: a lone surrogate, which
    the edge refuses anyway, would become "?"."""
    m, conv, sender = notice.message, notice.conversation, notice.sender
    body: dict[str, Any] = {
        "id": notice.id,
        "type": "messages",
        "user_id": notice.user_id,
        "conversation_id": conv.id,
        "conversation_type": conv.type.value,
        "conversation_name": conv.name,
        "count": notice.count,
        "mentioned": notice.mentioned,
        "message_id": m.id,
        "message_seq": m.seq,
        "sender": {
            "id": m.sender_id,
            "username": sender.username if sender else None,
            "display_name": sender.display_name if sender else None,
        },
        "preview": notice.preview,
        "attachments": len(m.attachments),
        "created_at": time_out(m.created_at),
        "sent_at": time_out(sent_at),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace")


def outcome(key: str, code: int, retry_after: str | None) -> Outcome:
    """2xx: taken. 4xx but 408 and 429: refused for good. Anything else: try again later."""
    if 200 <= code < 300:
        return Outcome.sent(key)
    if 400 <= code < 500 and code not in (408, 429):
        return Outcome(key, False, error=f"HTTP {code}", permanent=True)
    return Outcome(key, False, error=f"HTTP {code}", retry_after_s=_seconds(retry_after))


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds (a number, or an HTTP date), capped; None when absent or bad."""
    if not retry_after:
        return None
    text = retry_after.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER_S))


def answered(key: str, answer: Answer) -> Outcome:
    """The outcome of a request: by its status, or, with no answer at all (refused, timed out,
    TLS), worth another try unless the address policy refused the target."""
    if answer.code is None:
        return Outcome(key, False, error=answer.error, permanent=answer.refused)
    return outcome(key, answer.code, answer.headers.get("Retry-After"))
