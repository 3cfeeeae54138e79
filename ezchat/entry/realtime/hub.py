"""The hub: every open connection of this process by user, fed from the event bus.

Delivery never waits on a client: each event becomes one encoded frame, queued on the outbox of
every connection of every recipient. Work that must wait (presence expiry, typing clean-up,
per-member conversation views) runs in tasks the hub owns and cancels on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    Event,
    MemberRemoved,
    MessagePosted,
    ReceiptMoved,
)
from ezchat.domain.model import Conversation, Message
from ezchat.domain.realtime import Coalescer, SeqOrderer
from ezchat.domain.services.presence import PresenceService
from ezchat.domain.services.typing import TypingService
from ezchat.entry import serialize
from ezchat.entry.realtime import frames
from ezchat.entry.realtime.connection import CLOSE_GOING_AWAY, Connection, wire
from ezchat.ports.clock import Clock
from ezchat.ports.storage import MessageStore

log = logging.getLogger(__name__)

CONVERSATION_EVENTS = {
    ConversationCreated: "conversation.created",
    ConversationUpdated: "conversation.updated",
    ConversationDeleted: "conversation.deleted",
}


class Hub:
    def __init__(
        self,
        *,
        presence: PresenceService,
        typing: TypingService,
        messages: MessageStore,
        clock: Clock,
        max_connections: int,
        max_connections_per_user: int,
        receipt_window_s: float,
        presence_grace_s: float,
        order_hold_s: float = 0.5,
    ) -> None:
        self.presence = presence
        self._typing = typing
        self._messages = messages
        self._clock = clock
        self.max_connections = max_connections
        self.max_per_user = max_connections_per_user
        self._grace = presence_grace_s
        self._by_user: dict[str, set[Connection]] = {}
        self._count = 0
        self._receipts: Coalescer[tuple[str, str], ReceiptMoved] = Coalescer(
            window_s=receipt_window_s
        )
        self._receipt_timer: asyncio.TimerHandle | None = None
        # message.new in seq order per conversation, whatever order events arrive in.
        self._order: SeqOrderer[tuple[frozenset[str], bytes]] = SeqOrderer(hold_s=order_hold_s)
        self._order_timer: asyncio.TimerHandle | None = None
        self._offline_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._all_closed: asyncio.Event | None = None
        self.deliveries = 0
        self.messages_posted = 0
        self.slow_closed = 0

    # -- connections -------------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return self._count

    @property
    def online_users(self) -> int:
        return len(self._by_user)

    def admit(self, user_id: str) -> str | None:
        """Why a new connection of ``user_id`` may not open, or None when it may."""
        if self._count >= self.max_connections:
            return "server connection limit reached"
        if len(self._by_user.get(user_id, ())) >= self.max_per_user:
            return f"at most {self.max_per_user} connections per user"
        return None

    async def add(self, conn: Connection) -> None:
        self._by_user.setdefault(conn.user_id, set()).add(conn)
        self._count += 1
        timer = self._offline_timers.pop(conn.user_id, None)
        if timer is not None:
            timer.cancel()
        await self.presence.connected(conn.user_id, conn.session_id)

    def remove(self, conn: Connection) -> None:
        """Forget a closed connection and everything it held."""
        conns = self._by_user.get(conn.user_id)
        if conns is None or conn not in conns:
            return
        conns.discard(conn)
        self._count -= 1
        conn.abandon()
        if not conns:
            del self._by_user[conn.user_id]
        if self._count == 0 and self._all_closed is not None:
            self._all_closed.set()
        self.spawn(self._closed(conn), f"closed-{conn.session_id}")

    async def _closed(self, conn: Connection) -> None:
        """The user's last connection anywhere: stop their typing, and go offline after the
        grace period unless they come back."""
        if not await self.presence.disconnected(conn.user_id, conn.session_id):
            return
        if conn.user_id in self._by_user:  # reconnected here while we were counting
            return
        await self._typing.stop_all(conn.user_id)
        old = self._offline_timers.pop(conn.user_id, None)
        if old is not None:
            old.cancel()
        self._offline_timers[conn.user_id] = asyncio.get_running_loop().call_later(
            self._grace, self._expire_presence, conn.user_id
        )

    def drop_slow(self, conn: Connection) -> None:
        """A client too slow to keep up was closed: forget it like any closed connection, on
        the next turn of the loop, as this is called from inside a fan-out over the very set
        of connections it would change. Until then it is closed and takes nothing."""
        self.slow_closed += 1
        asyncio.get_running_loop().call_soon(self.remove, conn)

    def _expire_presence(self, user_id: str) -> None:
        self._offline_timers.pop(user_id, None)
        self.spawn(self.presence.expire(user_id), f"presence-expire-{user_id}")

    # -- events ------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """The bus subscriber: must not block."""
        if isinstance(event, ReceiptMoved):
            key = (event.conversation_id, event.user_id)
            if self._receipts.offer(key, event, now=self._clock.monotonic()):
                self.deliver(event.recipients, frames.receipt(event))
            else:
                self._schedule_receipts()
            return
        if isinstance(event, MessagePosted):
            self.messages_posted += 1
            m = event.message
            item = (event.recipients, frames.for_event(event) or b"")
            for recipients, payload in self._order.offer(
                m.conversation_id, m.seq, item, now=self._clock.monotonic()
            ):
                self.deliver(recipients, payload)
            self._schedule_order_flush()
            return
        if isinstance(event, MemberRemoved | ConversationDeleted):
            self._revise_receipts(event)
        kind = CONVERSATION_EVENTS.get(type(event))
        if kind is not None:
            conv: Conversation = event.conversation  # type: ignore[attr-defined]
            if kind == "conversation.updated":
                # Needs each member's unread count: looked up off this path.
                self.spawn(self._conversation_updated(conv, event.recipients), f"{kind}-{conv.id}")
            else:
                self._conversation_frames(kind, conv, event.recipients, None, {})
            return
        data = frames.for_event(event)
        if data is not None:
            self.deliver(event.recipients, data)

    def deliver(self, user_ids: frozenset[str] | set[str], payload: bytes) -> int:
        """One frame, framed once, to every connection of these users; how many took it."""
        sent = 0
        data = wire(payload)
        by_user = self._by_user
        for user_id in user_ids:
            for conn in by_user.get(user_id, ()):
                if conn.send(data):
                    sent += 1
        self.deliveries += sent
        return sent

    def _schedule_order_flush(self) -> None:
        if self._order_timer is not None:
            return
        due = self._order.next_due()
        if due is None:
            return
        delay = max(0.0, due - self._clock.monotonic())
        self._order_timer = asyncio.get_running_loop().call_later(delay, self._flush_order)

    def _flush_order(self) -> None:
        """A gap did not fill in time: deliver what waited behind it, in order."""
        self._order_timer = None
        for recipients, payload in self._order.due(now=self._clock.monotonic()):
            self.deliver(recipients, payload)
        self._schedule_order_flush()

    def _schedule_receipts(self) -> None:
        if self._receipt_timer is not None:
            return
        due = self._receipts.next_due()
        if due is None:
            return
        delay = max(0.0, due - self._clock.monotonic())
        self._receipt_timer = asyncio.get_running_loop().call_later(delay, self._flush_receipts)

    def _revise_receipts(self, event: MemberRemoved | ConversationDeleted) -> None:
        """Receipts held in their window go to whoever is a member when they go out: a member
        removed meanwhile gets none, and a deleted conversation's are dropped."""
        if isinstance(event, ConversationDeleted):
            gone = event.conversation.id
            self._receipts.revise(lambda key, e: None if key[0] == gone else e)
            return
        cid, removed = event.conversation_id, event.user_id
        self._receipts.revise(
            lambda key, e: replace(e, recipients=e.recipients - {removed}) if key[0] == cid else e
        )

    def _flush_receipts(self) -> None:
        self._receipt_timer = None
        for _, event in self._receipts.due(now=self._clock.monotonic()):
            self.deliver(event.recipients, frames.receipt(event))
        self._schedule_receipts()

    async def _conversation_updated(self, conv: Conversation, recipients: frozenset[str]) -> None:
        last = None
        if conv.last_seq:
            last = (await self._messages.last_messages([conv.id])).get(conv.id)
        unread: dict[str, int] = {}
        for m in conv.members:
            if (
                m.user_id in recipients
                and m.user_id in self._by_user
                and conv.last_seq > m.read_seq
            ):
                unread[m.user_id] = await self._messages.count_unread(
                    conv.id, m.user_id, m.read_seq
                )
        self._conversation_frames("conversation.updated", conv, recipients, last, unread)

    def _conversation_frames(
        self,
        kind: str,
        conv: Conversation,
        recipients: frozenset[str],
        last: Message | None,
        unread: dict[str, int],
    ) -> None:
        """Conversation frames carry each member's own fields: the shared part is encoded once,
        each recipient's part is spliced onto it."""
        shared = serialize.conversation_base(conv)
        shared["last_message"] = serialize.message(last) if last else None
        # Drop the closing braces of conversation, payload and frame, to append own fields.
        head = serialize.dumps({"type": kind, "payload": {"conversation": shared}})[:-3]
        for user_id in recipients:
            if user_id not in self._by_user:
                continue
            member = conv.member(user_id)
            own = {
                "unread_count": unread.get(user_id, 0),
                "read_seq": member.read_seq if member else 0,
                "pinned": member.pinned if member else False,
                "muted": member.muted if member else False,
            }
            self.deliver({user_id}, (head + "," + serialize.dumps(own)[1:] + "}}").encode())

    # -- tasks and shutdown ------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def aclose(self, *, timeout_s: float = 3.0) -> None:
        """Close every connection with 1001, wait (a while) for the clients to confirm, and stop
        every timer and task."""
        self._all_closed = asyncio.Event()
        for conns in list(self._by_user.values()):
            for conn in list(conns):
                conn.close(CLOSE_GOING_AWAY, "server shutting down")
        if self._count:
            try:
                await asyncio.wait_for(self._all_closed.wait(), timeout_s)
            except TimeoutError:
                log.warning("%d connections did not close in %.0f s", self._count, timeout_s)
        for timer in [self._receipt_timer, self._order_timer, *self._offline_timers.values()]:
            if timer is not None:
                timer.cancel()
        self._offline_timers.clear()
        self._receipt_timer = None
        self._order_timer = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
