"""Presence as connections come and go: online with the first, offline a grace period after
the last one anywhere closes, unless the user comes back meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from ezchat.entry.realtime.tasks import Tasks
from ezchat.ports.clock import Clock, Timer
from ezchat.services.presence import PresenceService
from ezchat.services.typing import TypingService


class PresenceTimers:
    def __init__(
        self,
        *,
        presence: PresenceService,
        typing: TypingService,
        clock: Clock,
        grace_s: float,
        tasks: Tasks,
        connected_here: Callable[[str], bool],
    ) -> None:
        self._presence = presence
        self._typing = typing
        self._clock = clock
        self._grace = grace_s
        self._tasks = tasks
        self._connected_here = connected_here
        self._offline: dict[str, Timer] = {}

    async def opened(self, user_id: str, session_id: str) -> int:
        """The user's live connections everywhere, this one included."""
        self._cancel(user_id)
        return await self._presence.connected(user_id, session_id)

    def closed(self, user_id: str, session_id: str) -> None:
        self._tasks.spawn(self._closed(user_id, session_id), f"closed-{session_id}")

    async def _closed(self, user_id: str, session_id: str) -> None:
        """The user's last connection anywhere: stop their typing, and go offline after the
        grace period unless they come back."""
        if not await self._presence.disconnected(user_id, session_id):
            return
        if self._connected_here(user_id):  # reconnected here while we were counting
            return
        await self._typing.stop_all(user_id)
        self._cancel(user_id)
        self._offline[user_id] = self._clock.call_later(self._grace, lambda: self._expire(user_id))

    def _expire(self, user_id: str) -> None:
        self._offline.pop(user_id, None)
        self._tasks.spawn(self._presence.expire(user_id), f"presence-expire-{user_id}")

    def _cancel(self, user_id: str) -> None:
        timer = self._offline.pop(user_id, None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self) -> None:
        for timer in self._offline.values():
            timer.cancel()
        self._offline.clear()
