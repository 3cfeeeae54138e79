"""Memory server keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.apps import ServerKey
from ezchat.domain.errors import Conflict


class MemoryServerKeyStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, key: ServerKey) -> None:
        if any(k.name == key.name and k.revoked_at is None for k in self._db.server_keys.values()):
            raise Conflict(f"a key named {key.name} exists; revoke it first")
        self._db.server_keys[key.key_hash] = key

    async def by_hash(self, key_hash: str) -> ServerKey | None:
        return self._db.server_keys.get(key_hash)

    async def list(self) -> list[ServerKey]:
        return sorted(self._db.server_keys.values(), key=lambda k: (k.created_at, k.key_hash))

    async def revoke(self, name: str, at: datetime) -> bool:
        for k in self._db.server_keys.values():
            if k.name == name and k.revoked_at is None:
                self._db.server_keys[k.key_hash] = replace(k, revoked_at=at)
                return True
        return False
