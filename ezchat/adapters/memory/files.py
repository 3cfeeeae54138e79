"""Memory file records: the reference behaviour of ``FileRecordStore``."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.files import StoredFile


class MemoryFileRecordStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, record: StoredFile, *, quota_bytes: int) -> bool:
        if await self.used_bytes(record.owner_id) + record.size > quota_bytes:
            return False
        self._db.files[record.id] = record
        return True

    async def get(self, file_id: str) -> StoredFile | None:
        return self._db.files.get(file_id)

    async def used_bytes(self, owner_id: str) -> int:
        return sum(f.size for f in self._db.files.values() if f.owner_id == owner_id)

    async def touch(self, file_id: str, now: float) -> bool:
        found = self._db.files.get(file_id)
        if found is None:
            return False
        self._db.files[file_id] = replace(found, attached_at=now)
        return True

    async def delete_if_idle(self, file_id: str, attached_before: float) -> bool:
        found = self._db.files.get(file_id)
        if found is None or (found.attached_at or 0.0) >= attached_before:
            return False
        del self._db.files[file_id]
        self._db.file_refs.pop(file_id, None)
        return True

    async def idle(self, before: float, limit: int) -> list[StoredFile]:
        found = [
            f
            for f in self._db.files.values()
            if f.created_at.timestamp() < before and (f.attached_at or 0.0) < before
        ]
        found.sort(key=lambda f: (f.created_at, f.id))
        return found[:limit]
