"""The port of pins: which messages of a conversation are pinned. A pin itself is part of the
message (``pinned_at``, ``pinned_by``), written by ``MessageStore.replace``."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.messages import Message


class PinStore(Protocol):
    async def pinned(self, conversation_id: str, limit: int) -> list[Message]:
        """The conversation's pinned messages, the latest pinned first (then by id)."""

    async def count(self, conversation_id: str) -> int:
        """How many of its messages are pinned now, read from the primary."""
