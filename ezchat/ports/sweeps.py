"""The port of writes and reads over many messages at once: a sender's messages (erasing a
deleted account, exporting one's data) and a conversation's oldest (retention)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ezchat.domain.messages import Message


class SweepStore(Protocol):
    async def conversations(
        self, *, after: str, limit: int, own_only: bool
    ) -> list[tuple[str, int | None]]:
        """(id, retention_days) of conversations in id order after ``after``; with
        ``own_only`` only those with their own retention_days."""

    async def by_sender(
        self, sender_id: str, *, after: tuple[str, int] | None, limit: int
    ) -> list[Message]:
        """Standing (not deleted) messages sent by ``sender_id``, in (conversation_id, seq)
        order, after the position ``after`` (a conversation id and a seq)."""

    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        """Make tombstones of up to ``limit`` of the conversation's oldest standing messages:
        those sent by ``sender_id`` when it is given; with ``before``, the oldest sent before
        it (stopping at the first that is not). Each gets the conversation's next rev; its
        earlier versions, file references and search entries go. A message that changes
        meanwhile is left for the next call. (the message as it was, its tombstone) pairs,
        in seq order."""
