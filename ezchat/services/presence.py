"""Presence: online with the first connection, away on request, offline a grace period after
the last connection closes, so that a quick reconnect does not flap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.events import PresenceChanged
from ezchat.domain.model import Presence, User
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.presence import ConnectionCounter
from ezchat.ports.storage import UserStore

Audience = Callable[[str], Awaitable[frozenset[str]]]


class PresenceService:
    """Connections are counted by the counter port (this process, or every process through
    Redis). The status itself, and last_seen, are kept on the user record, so every read of a
    user, in any process, shows them."""

    def __init__(
        self,
        *,
        users: UserStore,
        audience: Audience,
        bus: EventBus,
        clock: Clock,
        counter: ConnectionCounter,
    ) -> None:
        self._users = users
        self._audience = audience
        self._bus = bus
        self._clock = clock
        self._counter = counter

    async def connected(self, user_id: str, connection_id: str) -> int:
        """A connection opened; the first makes the user online. Returns the user's live
        connections everywhere, this one included."""
        count = await self._counter.opened(user_id, connection_id)
        user = await self._users.get(user_id)
        # A bot is never one of the people online: its connections change no presence.
        if user is not None and user.status is Presence.OFFLINE and not user.bot:
            await self._set(user, Presence.ONLINE)
        return count

    async def disconnected(self, user_id: str, connection_id: str) -> bool:
        """A connection closed. True when the user has no connection left anywhere: call
        ``expire`` after the grace period."""
        return await self._counter.closed(user_id, connection_id) == 0

    async def expire(self, user_id: str) -> None:
        """The grace period ended: offline, unless the user came back meanwhile, here or in
        another process."""
        if await self._counter.count(user_id):
            return
        user = await self._users.get(user_id)
        if user is not None and user.status is not Presence.OFFLINE:
            await self._set(user, Presence.OFFLINE)

    async def set_status(self, user_id: str, status: str) -> None:
        """What a connected client asks for: ``online`` or ``away``."""
        try:
            wanted = Presence(status)
        except ValueError:
            wanted = None
        if wanted not in (Presence.ONLINE, Presence.AWAY):
            raise InvalidRequest("status must be 'online' or 'away'", field="status")
        user = await self._users.get(user_id)
        if user is not None and user.status is not wanted and not user.bot:
            await self._set(user, wanted)

    async def _set(self, user: User, status: Presence) -> User:
        updated = await self._users.set_presence(user.id, status, self._clock.now())
        if updated is None:
            return user
        recipients = await self._audience(user.id) - {user.id}
        await self._bus.publish(PresenceChanged(recipients=recipients, user=updated))
        return updated
