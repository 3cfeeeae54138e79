"""Memory pins: read from the timeline (the development backend; a scan per call)."""

from __future__ import annotations

from ezchat.adapters.codec import time_out
from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.messages import Message


class MemoryPinStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _pinned(self, conversation_id: str) -> list[Message]:
        timeline = self._db.timelines.get(conversation_id)
        found = [m for m in (timeline.messages if timeline else ()) if m.pinned_at is not None]
        found.sort(key=lambda m: m.id)
        found.sort(key=lambda m: time_out(m.pinned_at) or "", reverse=True)
        return found

    async def pinned(self, conversation_id: str, limit: int) -> list[Message]:
        return self._pinned(conversation_id)[:limit]

    async def count(self, conversation_id: str) -> int:
        return len(self._pinned(conversation_id))
