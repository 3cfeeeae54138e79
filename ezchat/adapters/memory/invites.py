"""Memory invites."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.invites import Invite


class MemoryInviteStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, invite: Invite) -> None:
        self._db.invites[invite.id] = invite

    async def use(self, code_hash: str, *, now: float) -> Invite | None:
        for invite in self._db.invites.values():
            if invite.code_hash == code_hash and invite.left > 0 and invite.expires_at > now:
                taken = self._db.invites[invite.id] = replace(invite, left=invite.left - 1)
                return taken
        return None

    async def give_back(self, invite_id: str) -> None:
        invite = self._db.invites.get(invite_id)
        if invite is not None and invite.left < invite.uses:
            self._db.invites[invite_id] = replace(invite, left=invite.left + 1)

    async def all(self) -> list[Invite]:
        return sorted(self._db.invites.values(), key=lambda i: (-i.created_at, i.id))

    async def remove(self, invite_id: str) -> bool:
        return self._db.invites.pop(invite_id, None) is not None
