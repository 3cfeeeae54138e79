"""Sweeps through the caches: the tombstones a sweep wrote replace what this process's
caches hold of those messages (other processes learn of them through the events the
services publish, or not at all for messages no cache holds: see services/sweeping.py)."""

from __future__ import annotations

from datetime import datetime

from ezchat.adapters.caching.caches import Caches
from ezchat.adapters.forwarding_privacy import ForwardingSweepStore
from ezchat.domain.messages import Message
from ezchat.ports.sweeps import SweepStore


class CachedSweepStore(ForwardingSweepStore):
    def __init__(self, inner: SweepStore, caches: Caches) -> None:
        super().__init__(inner)
        self._caches = caches

    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        swept = await self._inner.erase(
            conversation_id, limit=limit, before=before, sender_id=sender_id
        )
        if swept:
            self._caches.note_messages(conversation_id, [tomb for _, tomb in swept])
        return swept
