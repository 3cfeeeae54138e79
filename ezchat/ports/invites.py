"""The port of invites."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.invites import Invite


class InviteStore(Protocol):
    async def add(self, invite: Invite) -> None: ...

    async def use(self, code_hash: str, *, now: float) -> Invite | None:
        """Take one use of the invite with that hash, if it has one left and has not expired
        by ``now``, in one atomic step; the invite after, or None (nothing taken)."""

    async def give_back(self, invite_id: str) -> None:
        """Return one use (a registration that failed after taking it)."""

    async def all(self) -> list[Invite]:
        """Every invite, newest first."""

    async def remove(self, invite_id: str) -> bool: ...
