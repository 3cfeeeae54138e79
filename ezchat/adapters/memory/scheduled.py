"""Memory scheduled messages."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.scheduled import Scheduled, ScheduledState


class MemoryScheduledStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, item: Scheduled) -> Scheduled:
        for existing in self._db.scheduled.values():
            if (existing.user_id, existing.client_id) == (item.user_id, item.client_id):
                return existing
        self._db.scheduled[item.id] = item
        return item

    async def get(self, item_id: str) -> Scheduled | None:
        return self._db.scheduled.get(item_id)

    async def for_user(self, user_id: str) -> list[Scheduled]:
        mine = [s for s in self._db.scheduled.values() if s.user_id == user_id]
        return sorted(mine, key=lambda s: (s.send_at, s.id))

    async def count_for_user(self, user_id: str) -> int:
        return sum(1 for s in self._db.scheduled.values() if s.user_id == user_id)

    async def due(self, *, now: float, limit: int) -> list[Scheduled]:
        found = [
            s
            for s in self._db.scheduled.values()
            if (s.state is ScheduledState.PENDING and s.due_at <= now)
            or (s.state is ScheduledState.SENDING and s.lease_until <= now)
        ]
        return sorted(found, key=lambda s: (s.due_at, s.id))[:limit]

    async def swap(self, item: Scheduled, *, expected_version: int) -> bool:
        current = self._db.scheduled.get(item.id)
        if current is None or current.version != expected_version:
            return False
        self._db.scheduled[item.id] = replace(item, version=expected_version + 1)
        return True

    async def remove(self, item_id: str, *, expected_version: int) -> bool:
        current = self._db.scheduled.get(item_id)
        if current is None or current.version != expected_version:
            return False
        del self._db.scheduled[item_id]
        return True
