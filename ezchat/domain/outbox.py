"""The notification outbox's entries and the browsers' push subscriptions they are sent to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OutboxState(StrEnum):
    OPEN = "open"  # still taking messages (coalescing); due at next_at
    SENDING = "sending"  # attempted or being attempted; no longer takes messages
    DEAD = "dead"  # given up: kept with the last error


@dataclass(frozen=True)
class Notification:
    """An outbox entry: tell ``user_id`` of the messages ``first_seq``..``last_seq`` of a
    conversation (``count`` of them were queued; the ones still unread when it is sent are
    counted again then). Messages for the same user and conversation join the open entry until
    it is first attempted."""

    id: str
    user_id: str
    conversation_id: str
    first_seq: int
    last_seq: int
    count: int
    state: OutboxState
    next_at: float  # epoch seconds: due, or the next retry
    created_at: float
    attempts: int = 0
    lease_until: float = 0.0
    lease_token: str | None = None  # the holder of the current lease
    done: tuple[str, ...] = ()  # targets that have it already (never sent twice by a retry)
    last_error: str | None = None


@dataclass(frozen=True)
class PushSubscription:
    """A browser's Web Push subscription (RFC 8030): where to send, and its keys (RFC 8291)."""

    endpoint: str
    user_id: str
    p256dh: str  # base64url, the browser's P-256 public key
    auth: str  # base64url, 16 bytes of shared secret
    created_at: datetime
    # The session (token) it was made with: revoking that session ends it. Subscriptions
    # stored before they had one carry (None, 0.0), which any revocation of the user ends.
    token_id: str | None = None
    issued_at: float = 0.0
