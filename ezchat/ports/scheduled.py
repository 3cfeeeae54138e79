"""The port of scheduled messages."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.scheduled import Scheduled


class ScheduledStore(Protocol):
    """Items are written only over the version they were read at (``swap``, ``remove``), so
    concurrent writers in any number of processes never undo one another."""

    async def add(self, item: Scheduled) -> Scheduled:
        """Keep a new item; when the user has one with the same ``client_id``, that one is
        returned and nothing is written."""

    async def get(self, item_id: str) -> Scheduled | None: ...

    async def for_user(self, user_id: str) -> list[Scheduled]:
        """The user's items, by send_at (then id)."""

    async def count_for_user(self, user_id: str) -> int: ...

    async def due(self, *, now: float, limit: int) -> list[Scheduled]:
        """Up to ``limit`` items to send by ``now``: pending ones due, and sending ones whose
        lease ran out; the earliest due first."""

    async def swap(self, item: Scheduled, *, expected_version: int) -> bool:
        """Write ``item`` (with version ``expected_version + 1``) if the stored one is at
        ``expected_version``; False, writing nothing, otherwise or when it is gone."""

    async def remove(self, item_id: str, *, expected_version: int) -> bool:
        """Remove the item if it is still at ``expected_version``."""
