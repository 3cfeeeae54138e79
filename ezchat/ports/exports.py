"""The port of data exports."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.exports import Export, ExportStatus


class ExportStore(Protocol):
    async def add(self, export: Export) -> None: ...

    async def get(self, export_id: str) -> Export | None: ...

    async def for_owner(self, owner_id: str) -> list[Export]:
        """The user's exports, newest first."""

    async def claim(self, export_id: str, *, now: float, lease_s: float) -> Export | None:
        """Take the build of a pending export whose lease ran out by ``now``, for ``lease_s``,
        in one conditional write (of several processes, one gets it); the export after, or
        None."""

    async def finish(
        self, export_id: str, *, status: ExportStatus, size: int, error: str | None,
        expires_at: float,
    ) -> Export | None:  # fmt: skip
        """Mark a pending export ready or failed; None when it is gone or not pending."""

    async def due(self, now: float, limit: int) -> list[Export]:
        """Exports to act on: expired ones (to delete) and pending ones whose lease ran out
        (to build again), oldest first."""

    async def remove(self, export_id: str) -> bool: ...
