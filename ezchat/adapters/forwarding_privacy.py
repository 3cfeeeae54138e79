"""The forwarding bases of the stores of people's data: sweeps (erasure, retention) and
exports."""

from __future__ import annotations

from datetime import datetime

from ezchat.adapters.forwarding import Forwarding
from ezchat.domain.exports import Export, ExportStatus
from ezchat.domain.messages import Message
from ezchat.ports.exports import ExportStore
from ezchat.ports.sweeps import SweepStore


class ForwardingSweepStore(Forwarding):
    def __init__(self, inner: SweepStore) -> None:
        self._inner = inner

    async def conversations(
        self, *, after: str, limit: int, own_only: bool
    ) -> list[tuple[str, int | None]]:
        return await self._forward(
            "conversations",
            lambda: self._inner.conversations(after=after, limit=limit, own_only=own_only),
        )

    async def by_sender(
        self, sender_id: str, *, after: tuple[str, int] | None, limit: int
    ) -> list[Message]:
        return await self._forward(
            "by_sender", lambda: self._inner.by_sender(sender_id, after=after, limit=limit)
        )

    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        return await self._forward(
            "erase",
            lambda: self._inner.erase(
                conversation_id, limit=limit, before=before, sender_id=sender_id
            ),
        )


class ForwardingExportStore(Forwarding):
    def __init__(self, inner: ExportStore) -> None:
        self._inner = inner

    async def add(self, export: Export) -> None:
        await self._forward("add", lambda: self._inner.add(export))

    async def get(self, export_id: str) -> Export | None:
        return await self._forward("get", lambda: self._inner.get(export_id))

    async def for_owner(self, owner_id: str) -> list[Export]:
        return await self._forward("for_owner", lambda: self._inner.for_owner(owner_id))

    async def claim(self, export_id: str, *, now: float, lease_s: float) -> Export | None:
        return await self._forward(
            "claim", lambda: self._inner.claim(export_id, now=now, lease_s=lease_s)
        )

    async def finish(
        self, export_id: str, *, status: ExportStatus, size: int, error: str | None,
        expires_at: float,
    ) -> Export | None:  # fmt: skip
        return await self._forward(
            "finish",
            lambda: self._inner.finish(
                export_id, status=status, size=size, error=error, expires_at=expires_at
            ),
        )

    async def due(self, now: float, limit: int) -> list[Export]:
        return await self._forward("due", lambda: self._inner.due(now, limit))

    async def remove(self, export_id: str) -> bool:
        return await self._forward("remove", lambda: self._inner.remove(export_id))
