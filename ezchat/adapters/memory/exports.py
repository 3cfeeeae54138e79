"""Memory exports."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.exports import Export, ExportStatus


class MemoryExportStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, export: Export) -> None:
        self._db.exports[export.id] = export

    async def get(self, export_id: str) -> Export | None:
        return self._db.exports.get(export_id)

    async def for_owner(self, owner_id: str) -> list[Export]:
        mine = [e for e in self._db.exports.values() if e.owner_id == owner_id]
        return sorted(mine, key=lambda e: (-e.created_at, e.id))

    async def claim(self, export_id: str, *, now: float, lease_s: float) -> Export | None:
        e = self._db.exports.get(export_id)
        if e is None or e.status is not ExportStatus.PENDING or e.lease_until > now:
            return None
        taken = self._db.exports[export_id] = replace(e, lease_until=now + lease_s)
        return taken

    async def finish(
        self, export_id: str, *, status: ExportStatus, size: int, error: str | None,
        expires_at: float,
    ) -> Export | None:  # fmt: skip
        e = self._db.exports.get(export_id)
        if e is None or e.status is not ExportStatus.PENDING:
            return None
        done = replace(e, status=status, size=size, error=error, expires_at=expires_at)
        self._db.exports[export_id] = done
        return done

    async def due(self, now: float, limit: int) -> list[Export]:
        found = [
            e
            for e in self._db.exports.values()
            if e.expires_at <= now or (e.status is ExportStatus.PENDING and e.lease_until <= now)
        ]
        return sorted(found, key=lambda e: (e.created_at, e.id))[:limit]

    async def remove(self, export_id: str) -> bool:
        return self._db.exports.pop(export_id, None) is not None
