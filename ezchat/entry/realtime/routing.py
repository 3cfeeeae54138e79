"""What each event of the bus becomes for the connections of this process: one encoded frame
for all its recipients here, receipts and presence coalesced (``EventWindow``), new messages
put in seq order (``MessageOrder``), conversation events as each member sees them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ezchat.domain.access import Revocation
from ezchat.domain.events import (
    AccessRevoked,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    MessagePosted,
    PresenceChanged,
    ReceiptMoved,
)
from ezchat.entry import serialize
from ezchat.entry.realtime import frames
from ezchat.entry.realtime.interest import Interest
from ezchat.entry.realtime.ordering import MessageOrder
from ezchat.entry.realtime.registry import Connections
from ezchat.entry.realtime.tasks import Tasks
from ezchat.entry.realtime.windows import EventWindow, receipts_after
from ezchat.entry.serialize import MessageJson
from ezchat.ports.clock import Clock
from ezchat.services.conversations import (
    ConversationService,
    ConversationView,
    views_without_messages,
)

MEMBERSHIP_EVENTS = (ConversationCreated, ConversationDeleted, MemberAdded, MemberRemoved)
CONVERSATION_EVENTS = {
    ConversationCreated: "conversation.created",
    ConversationUpdated: "conversation.updated",
    ConversationDeleted: "conversation.deleted",
}


class EventRouter:
    def __init__(
        self,
        *,
        connections: Connections,
        conversations: ConversationService,
        clock: Clock,
        tasks: Tasks,
        json: MessageJson,
        revoke: Callable[[Revocation], None],
        receipt_window_s: float,
        presence_window_s: float,
        order_hold_s: float,
    ) -> None:
        """``json``: the app's memoised message JSON, which the frames are made from;
        ``revoke``: closes the connections a revocation ends."""
        self._connections = connections
        self._conversations = conversations
        self._tasks = tasks
        self._json = json
        self._revoke = revoke
        self.interest: Interest | None = None  # set by the hub, which builds it on ``order``
        encode = partial(frames.for_event, json=json)
        deliver = connections.deliver
        self._receipts: EventWindow[ReceiptMoved] = EventWindow(
            clock,
            window_s=receipt_window_s,
            key=lambda e: (e.conversation_id, e.user_id),
            encode=frames.receipt,
            deliver=deliver,
        )
        self._presence: EventWindow[PresenceChanged] = EventWindow(
            clock,
            window_s=presence_window_s,
            key=lambda e: e.user.id,
            encode=encode,
            deliver=deliver,
        )
        self.order = MessageOrder(clock, hold_s=order_hold_s, deliver=deliver, encode=encode)
        self.messages_posted = 0

    def __call__(self, event: Event) -> None:
        """The bus subscriber: must not block."""
        if isinstance(event, ReceiptMoved):
            self._receipts.offer(event)
            return
        if isinstance(event, PresenceChanged):
            self._presence.offer(event)
            return
        interest = self.interest
        assert interest is not None, "the hub sets the interest before subscribing"
        if isinstance(event, MessagePosted):
            self.messages_posted += 1
            if not interest.hold(event):
                self.order.offer(event)
            return
        if isinstance(event, AccessRevoked):
            self._revoke(event.revocation)
            return
        if isinstance(event, MemberRemoved | ConversationDeleted):
            receipts_after(self._receipts, event)
        if isinstance(event, MEMBERSHIP_EVENTS):
            interest.on_event(event)
        kind = CONVERSATION_EVENTS.get(type(event))
        if kind is not None:
            self._conversation_event(kind, event)  # type: ignore[arg-type]
            return
        data = frames.for_event(event, self._json)
        if data is not None:
            self._connections.deliver(event.recipients, data)

    def _conversation_event(
        self, kind: str, event: ConversationCreated | ConversationUpdated | ConversationDeleted
    ) -> None:
        """Each recipient gets the conversation as it sees it. A new or deleted one has nothing
        to count, so it goes in line with other events; an update needs each member's unread
        count, looked up off this path."""
        here = [u for u in event.recipients if u in self._connections]
        if not here:
            return
        conv = event.conversation
        if kind != "conversation.updated":
            self._send_views(kind, views_without_messages(conv, here))
            return

        async def updated() -> None:
            self._send_views(kind, await self._conversations.views(conv, here))

        self._tasks.spawn(updated(), f"{kind}-{conv.id}")

    def _send_views(self, kind: str, views: list[ConversationView]) -> None:
        for view in views:
            payload = frames.frame(kind, {"conversation": serialize.conversation(view)})
            self._connections.deliver({view.member.user_id}, payload)

    def cancel(self) -> None:
        """Stop the windows' and the order's timers (shutdown)."""
        self._receipts.cancel()
        self._presence.cancel()
        self.order.cancel()
