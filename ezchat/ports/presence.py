"""Where a user's open connections are counted: this process alone, or every process."""

from __future__ import annotations

from typing import Protocol

from ezchat.ports.lifecycle import Lifecycle


class ConnectionCounter(Lifecycle, Protocol):
    async def opened(self, user_id: str, connection_id: str) -> int:
        """Count a new connection; the user's live connections everywhere, this one included."""

    async def closed(self, user_id: str, connection_id: str) -> int:
        """Forget a connection; the user's live connections left everywhere."""

    async def count(self, user_id: str) -> int:
        """The user's live connections everywhere."""
