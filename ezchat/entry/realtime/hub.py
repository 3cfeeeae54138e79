"""The hub: the one place connections of this process are added, removed, revoked and closed,
and what follows them (heartbeats, presence, the conversations heard: ``Interest``). The bus's
events are handed to the ``EventRouter``, which turns each into frames for the connections.

Delivery never waits on a client: each event becomes one encoded frame, queued on the outbox
of every connection of every recipient (``Connections``); work that must wait runs in owned
``Tasks``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ezchat.domain.access import Revocation
from ezchat.domain.events import Event
from ezchat.entry.realtime import frames
from ezchat.entry.realtime.connection import (
    CLOSE_GOING_AWAY,
    CLOSE_UNAUTHORIZED,
    Connection,
    wire,
)
from ezchat.entry.realtime.heartbeat import Heartbeat
from ezchat.entry.realtime.interest import CatchUp, ConversationsOf, Interest
from ezchat.entry.realtime.presence import PresenceTimers
from ezchat.entry.realtime.registry import Connections
from ezchat.entry.realtime.routing import EventRouter
from ezchat.entry.realtime.tasks import Tasks
from ezchat.entry.realtime.writes import Flusher
from ezchat.entry.serialize import MessageJson
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.services.conversations import ConversationService
from ezchat.services.presence import PresenceService
from ezchat.services.typing import TypingService

log = logging.getLogger(__name__)


class Hub:
    def __init__(
        self,
        *,
        bus: EventBus,
        conversations_of: ConversationsOf,
        catch_up: CatchUp,
        presence: PresenceService,
        typing: TypingService,
        conversations: ConversationService,
        clock: Clock,
        max_connections: int,
        max_connections_per_user: int,
        receipt_window_s: float,
        presence_window_s: float,
        presence_grace_s: float,
        heartbeat_interval_s: float,
        heartbeat_timeout_s: float,
        json: MessageJson,
        order_hold_s: float = 0.5,
        fit_caches: Callable[[int], None] | None = None,
    ) -> None:
        """``json``: the app's memoised message JSON, which the frames are made from.
        ``fit_caches``: told the number of users to size the caches for, in doublings, as more
        users connect."""
        self._fit_caches = fit_caches
        self._sized_for = 0
        self.connections = Connections(
            max_connections=max_connections, max_per_user=max_connections_per_user
        )
        self._tasks = Tasks()
        self.flusher = Flusher()  # the connections' frames, written at the end of each turn
        self._clock = clock
        self.heartbeat = Heartbeat(
            clock,
            self.connections.__iter__,
            interval_s=heartbeat_interval_s,
            timeout_s=heartbeat_timeout_s,
        )
        self._events = EventRouter(
            connections=self.connections,
            conversations=conversations,
            clock=clock,
            tasks=self._tasks,
            json=json,
            revoke=self.revoke,
            receipt_window_s=receipt_window_s,
            presence_window_s=presence_window_s,
            order_hold_s=order_hold_s,
        )
        self.interest = Interest(
            bus=bus,
            conversations_of=conversations_of,
            catch_up=catch_up,
            deliver=self._events.order.offer,
            forget=self._events.order.forget,
            tasks=self._tasks,
            connected_here=self.connections.__contains__,
        )
        self._presence = PresenceTimers(
            presence=presence,
            typing=typing,
            clock=clock,
            grace_s=presence_grace_s,
            tasks=self._tasks,
            connected_here=self.connections.__contains__,
        )
        self._events.interest = self.interest
        self._all_closed: asyncio.Event | None = None
        self.slow_closed = 0

    # -- connections -------------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return self.connections.count

    @property
    def online_users(self) -> int:
        return self.connections.users

    @property
    def deliveries(self) -> int:
        return self.connections.deliveries

    def admit(self, user_id: str) -> str | None:
        """Why a new connection of ``user_id`` may not open, or None when it may."""
        return self.connections.admit(user_id)

    async def add(self, conn: Connection) -> str | None:
        """Take the connection in; why it must close instead (the user's connections counted
        everywhere, with Redis, past the per-user limit), or None."""
        conn.heard_at = conn.pinged_at = self._clock.monotonic()
        self.connections.add(conn)
        if self._fit_caches is not None and self.connections.users > self._sized_for:
            self._sized_for = max(2 * self._sized_for, 1024)
            self._fit_caches(self._sized_for)
        self.heartbeat.ensure_running()
        count = await self._presence.opened(conn.user_id, conn.session_id)
        refusal = self.connections.past_user_limit(count)
        if refusal is None:
            await self.interest.connected(conn.user_id)
        return refusal

    def remove(self, conn: Connection) -> None:
        """Forget a closed connection and everything it held."""
        if not self.connections.remove(conn):
            return
        conn.abandon()
        if conn.user_id not in self.connections:
            self.interest.disconnected(conn.user_id)
        if self.connections.count == 0 and self._all_closed is not None:
            self._all_closed.set()
        self._presence.closed(conn.user_id, conn.session_id)

    def drop_slow(self, conn: Connection) -> None:
        """A client too slow to keep up was closed: forget it like any closed connection, on
        the next turn of the loop, as this is called from inside a fan-out over the very set
        of connections it would change. Until then it is closed and takes nothing."""
        self.slow_closed += 1
        asyncio.get_running_loop().call_soon(self.remove, conn)

    def revoke(self, revocation: Revocation) -> None:
        """Close (4401) the user's connections opened with a token this revocation revokes."""
        for conn in self.connections.of_user(revocation.user_id):
            if revocation.revokes(token_id=conn.token_id, issued_at=conn.issued_at):
                conn.send(wire(frames.error("unauthorized", "access revoked")))
                conn.close(CLOSE_UNAUTHORIZED, "access revoked")

    # -- events ------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """The bus subscriber (``EventRouter``): must not block."""
        self._events(event)

    @property
    def messages_posted(self) -> int:
        return self._events.messages_posted

    # -- shutdown ----------------------------------------------------------------------------

    async def aclose(self, *, timeout_s: float = 3.0) -> None:
        """Close every connection with 1001, wait (a while) for the clients to confirm, and stop
        every timer and task."""
        self._all_closed = asyncio.Event()
        for conn in self.connections:
            conn.close(CLOSE_GOING_AWAY, "server shutting down")
        if self.connections.count:
            try:
                await asyncio.wait_for(self._all_closed.wait(), timeout_s)
            except TimeoutError:
                log.warning(
                    "%d connections did not close in %.0f s", self.connections.count, timeout_s
                )
        self.heartbeat.cancel()
        self._events.cancel()
        self._presence.cancel_all()
        await self._tasks.aclose()
