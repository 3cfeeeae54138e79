"""What apps' webhooks hear: each domain event that concerns them as the JSON they get
(``{id, type, created_at, data}``, ``data`` holding the same objects as the WebSocket events),
recorded before the change is acknowledged (``RecordingBus``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    MessageChanged,
    MessagePosted,
    UserCreated,
    UserUpdated,
)
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message
from ezchat.domain.webhooks import WebhookEvent
from ezchat.entry import serialize
from ezchat.ports.bus import BrokerHealth, BusCounts, EventBus, Subscriber
from ezchat.services.webhooks import WebhookService

CHANGES = {
    "edited": "message.updated",
    "deleted": "message.deleted",
    "reaction": "reaction.updated",
}
CONVERSATIONS: dict[type[Event], str] = {
    ConversationCreated: "conversation.created",
    ConversationUpdated: "conversation.updated",
    ConversationDeleted: "conversation.deleted",
}


def _event(
    kind: str, group: str, data: dict[str, Any], at: datetime, *, id: str = "", seq: int = 0
) -> WebhookEvent:
    event_id = id or f"evt_{new_id()}"
    body = {"id": event_id, "type": kind, "created_at": serialize.iso(at), "data": data}
    return WebhookEvent(event_id, kind, group, serialize.dumps(body), seq)


def message_event(kind: str, m: Message, at: datetime) -> WebhookEvent:
    """A message's events have ids made from the message (and its rev for changes): recording
    the same change again never delivers it twice."""
    suffix = "new" if kind == "message.new" else str(m.rev)
    return _event(
        kind,
        m.conversation_id,
        {"message": serialize.message(m)},
        at,
        id=f"evt_{m.id}_{suffix}",
        seq=m.seq,
    )


def kind_of(event: Event) -> str | None:
    """The webhook event type of ``event``; None when webhooks never hear of it."""
    if isinstance(event, MessagePosted):
        return "message.new"
    if isinstance(event, MessageChanged):
        return CHANGES.get(event.change, "message.updated")
    if isinstance(event, MemberAdded):
        return "member.added"
    if isinstance(event, MemberRemoved):
        return "member.removed"
    if isinstance(event, UserCreated):
        return "user.created"
    if isinstance(event, UserUpdated):
        return "user.updated"
    return CONVERSATIONS.get(type(event))


def webhook_events(event: Event, at: datetime) -> list[WebhookEvent]:
    if isinstance(event, MessagePosted):
        return [message_event("message.new", event.message, at)]
    if isinstance(event, MessageChanged):
        return [message_event(CHANGES.get(event.change, "message.updated"), event.message, at)]
    if isinstance(event, MemberAdded | MemberRemoved):
        kind = "member.added" if isinstance(event, MemberAdded) else "member.removed"
        ids = {"conversation_id": event.conversation_id, "user_id": event.user_id}
        return [_event(kind, event.conversation_id, ids, at)]
    if isinstance(event, ConversationCreated | ConversationUpdated | ConversationDeleted):
        c = event.conversation
        data = {"conversation": serialize.conversation_base(c)}
        return [_event(CONVERSATIONS[type(event)], c.id, data, at)]
    if isinstance(event, UserCreated | UserUpdated):
        kind = "user.created" if isinstance(event, UserCreated) else "user.updated"
        return [_event(kind, f"user:{event.user.id}", {"user": serialize.user(event.user)}, at)]
    return []


class RecordingBus:
    """The services' bus: an event goes to the bus as before, then, when a webhook wants it,
    is recorded for the webhooks before ``publish`` returns. A store out of reach raises
    ``StorageUnavailable`` from ``publish``: the change's caller gets 503, not an ack, and a
    send repeated with its client_id is recorded then (``repeated``)."""

    def __init__(self, inner: EventBus, webhooks: WebhookService, now: Any) -> None:
        self._inner = inner
        self._webhooks = webhooks
        self._now = now  # () -> datetime

    async def publish(self, event: Event) -> None:
        await self._inner.publish(event)
        kind = kind_of(event)
        if kind is not None and await self._webhooks.wants(kind):
            await self._webhooks.record(webhook_events(event, self._now()))

    async def repeated(self, message: Message) -> None:
        """A send repeated with its client_id: record its event again, in case the first
        attempt stopped between the write and the record (a duplicate is dropped)."""
        await self._webhooks.record([message_event("message.new", message, self._now())])

    def subscribe(self, subscriber: Subscriber) -> Any:
        return self._inner.subscribe(subscriber)

    @property
    def routed(self) -> bool:
        return self._inner.routed

    async def follow(self, conversation_ids: Iterable[str]) -> None:
        await self._inner.follow(conversation_ids)

    def unfollow(self, conversation_ids: Iterable[str]) -> None:
        self._inner.unfollow(conversation_ids)

    def hears(self, conversation_id: str) -> bool:
        return self._inner.hears(conversation_id)

    async def health(self) -> BrokerHealth:
        return await self._inner.health()

    def counts(self) -> BusCounts:
        return self._inner.counts()

    async def start(self) -> None:
        return None  # the inner bus is started by the app

    async def aclose(self) -> None:
        return None
