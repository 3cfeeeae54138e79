"""Memory sweeps: a sender's messages read from each timeline; erasing is the message
store's own replace, message by message (the memory store has no transactions to batch)."""

from __future__ import annotations

import bisect
from datetime import datetime
from itertools import islice

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.adapters.memory.messages import MemoryMessageStore
from ezchat.adapters.tombstones import older_first, tombstone_each
from ezchat.domain.messages import Message


class MemorySweepStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._messages = MemoryMessageStore(db)

    async def conversations(
        self, *, after: str, limit: int, own_only: bool
    ) -> list[tuple[str, int | None]]:
        convs = self._db.conversations
        ids = sorted(c for c in convs if c > after and (not own_only or convs[c].retention_days))
        return [(c, convs[c].retention_days) for c in ids[:limit]]

    async def by_sender(
        self, sender_id: str, *, after: tuple[str, int] | None, limit: int
    ) -> list[Message]:
        out: list[Message] = []
        for conv_id in sorted(self._db.timelines):
            if after is not None and conv_id < after[0]:
                continue
            timeline = self._db.timelines[conv_id]
            start = 0
            if after is not None and conv_id == after[0]:
                start = bisect.bisect_right(timeline.seqs, after[1])
            for m in timeline.messages[start:]:
                if m.sender_id == sender_id and not m.deleted:
                    out.append(m)
                    if len(out) == limit:
                        return out
        return out

    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        timeline = self._db.timelines.get(conversation_id)
        standing = (
            m
            for m in (timeline.messages if timeline else ())
            if not m.deleted and (sender_id is None or m.sender_id == sender_id)
        )
        return await tombstone_each(self._messages, older_first(islice(standing, limit), before))
