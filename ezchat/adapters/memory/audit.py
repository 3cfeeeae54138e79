"""Memory audit log."""

from __future__ import annotations

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.audit import AuditEntry


class MemoryAuditStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def append(self, entry: AuditEntry) -> None:
        self._db.audit.append(entry)

    async def page(
        self,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self._db.audit
            if (before is None or e.key() < before)
            and (actor is None or e.actor == actor)
            and (action is None or e.action == action)
        ]
        return sorted(found, key=AuditEntry.key, reverse=True)[:limit]
