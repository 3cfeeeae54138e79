"""Event webhooks: where an app hears what happens, and each event's delivery to it; and
incoming webhooks, which post into a conversation.

A change is recorded as one ``Delivery`` per webhook that wants its type, before the change is
acknowledged. Deliveries of one webhook in one ``group`` (a conversation, or a user for user
events) go out in the order they were recorded, one at a time: the next waits until the one
before it is delivered or dead. Other groups never wait on it."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ezchat.domain.errors import InvalidRequest

EVENT_TYPES = (
    "message.new",
    "message.updated",
    "message.deleted",
    "reaction.updated",
    "member.added",
    "member.removed",
    "conversation.created",
    "conversation.updated",
    "conversation.deleted",
    "user.created",
    "user.updated",
)
ALL = "*"
MAX_WEBHOOKS = 20
MAX_URL_CHARS = 2048
MAX_SECRET_CHARS = 256
MIN_SECRET_CHARS = 16
HOOK_TOKEN_PREFIX = "ezh_"
_HOOK_TOKEN = re.compile(r"ezh_[A-Za-z0-9_-]{43}")


class DeliveryState(StrEnum):
    PENDING = "pending"  # not delivered yet: due at next_at (or leased to a sender)
    DELIVERED = "delivered"
    DEAD = "dead"  # given up after the last attempt, kept with its last error


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: float  # epoch seconds

    def wants(self, event_type: str) -> bool:
        return ALL in self.events or event_type in self.events


@dataclass(frozen=True)
class WebhookEvent:
    """What happened, as every webhook gets it: ``body`` is the JSON ``{id, type, created_at,
    data}``."""

    id: str
    type: str
    group: str
    body: str
    seq: int = 0  # a message event's message seq


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    event_id: str
    event_type: str
    group: str
    body: str
    created_at: float
    position: int = 0  # the store's recording order (set when recorded)
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_at: float = 0.0
    lease_until: float = 0.0
    lease_token: str | None = None
    last_status: int | None = None  # the receiver's last HTTP status (None: no answer)
    last_error: str | None = None
    finished_at: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.webhook_id, self.event_id)


def deliveries_for(
    webhooks: list[Webhook], events: list[WebhookEvent], now: float
) -> list[Delivery]:
    """One delivery per event and webhook that wants it, in the events' order."""
    return [
        Delivery(
            webhook_id=w.id,
            event_id=e.id,
            event_type=e.type,
            group=e.group,
            body=e.body,
            created_at=now,
            next_at=now,
        )
        for e in events
        for w in webhooks
        if w.wants(e.type)
    ]


def claimable(pending: list[Delivery], now: float) -> list[Delivery]:
    """Of every pending delivery, sorted by position: the first of each webhook's group, when
    it is due and no one holds it."""
    seen: set[tuple[str, str]] = set()
    out: list[Delivery] = []
    for d in pending:
        group = (d.webhook_id, d.group)
        if group in seen:
            continue
        seen.add(group)
        if d.next_at <= now and d.lease_until <= now:
            out.append(d)
    return out


def events_field(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("events must be a non-empty list of event types", field="events")
    out: list[str] = []
    for v in value:
        if v != ALL and v not in EVENT_TYPES:
            raise InvalidRequest(f"events: {v!r} is not an event type", field="events")
        if v not in out:
            out.append(v)
    return tuple(out)


def secret_field(value: Any) -> str:
    if value is None:
        return "whsec_" + secrets.token_urlsafe(32)
    if (
        not isinstance(value, str)
        or not MIN_SECRET_CHARS <= len(value) <= MAX_SECRET_CHARS
        or not value.isprintable()
    ):
        raise InvalidRequest(
            f"secret must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} printable characters",
            field="secret",
        )
    return value


# -- incoming webhooks -----------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingHook:
    """A URL that posts into one conversation as the hook's own bot."""

    id: str
    conversation_id: str
    name: str
    token_hash: str
    bot_id: str
    created_by: str | None  # the admin who made it; None when a server key did
    created_at: float


def new_hook_token() -> str:
    return HOOK_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hook_token_hash(token: str) -> str | None:
    """The stored hash of a well-formed hook token; None for anything else."""
    if not _HOOK_TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()
