"""Memory users and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.access import AccessChange, Credentials, Revocation
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Contact, ContactPair, Presence, PresenceChange, User


class MemoryUserStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, user: User, credentials: Credentials) -> None:
        if user.username in self._db.usernames:
            raise Conflict("username is taken")
        if user.external_id is not None:
            if user.external_id in self._db.external_ids:
                raise Conflict("external_id is taken")
            self._db.external_ids[user.external_id] = user.id
        self._db.users[user.id] = user
        self._db.usernames[user.username] = user.id
        self._db.credentials[user.id] = credentials

    async def get(self, user_id: str) -> User | None:
        return self._db.users.get(user_id)

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        users = self._db.users
        return {u: users[u] for u in user_ids if u in users}

    async def get_by_username(self, username: str) -> User | None:
        user_id = self._db.usernames.get(username)
        return self._db.users.get(user_id) if user_id else None

    async def get_by_external_id(self, external_id: str) -> User | None:
        user_id = self._db.external_ids.get(external_id)
        return self._db.users.get(user_id) if user_id else None

    async def credentials(self, user_id: str) -> Credentials | None:
        return self._db.credentials.get(user_id)

    async def release_username(self, user_id: str, placeholder: str) -> bool:
        stored = self._db.users.get(user_id)
        if stored is None or stored.deleted_at is None:
            return False
        self._db.usernames.pop(stored.username, None)
        self._db.usernames[placeholder] = user_id
        self._db.users[user_id] = replace(stored, username=placeholder)
        return True

    async def update(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is None:
            raise NotFound("user not found")
        self._db.users[user.id] = replace(
            stored, display_name=user.display_name, avatar_url=user.avatar_url
        )

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        stored = self._db.users.get(user_id)
        if stored is None:
            return None
        updated = self._db.users[user_id] = replace(stored, status=status, last_seen=last_seen)
        return updated

    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        out = {}
        for c in changes:
            user = await self.set_presence(c.user_id, c.status, c.last_seen)
            if user is not None:
                out[c.user_id] = user
        return out

    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        stored = self._db.users.get(user_id)
        if stored is None:
            return None
        if change.password_hash is not None:
            self._db.credentials[user_id] = Credentials(user_id, change.password_hash)
        updated = replace(
            stored,
            disabled=stored.disabled if change.disabled is None else change.disabled,
            admin=stored.admin if change.admin is None else change.admin,
            deleted_at=stored.deleted_at if change.deleted_at is None else change.deleted_at,
            sessions_after=(
                stored.sessions_after if change.sessions_after is None else change.sessions_after
            ),
            session_kept=(
                stored.session_kept if change.sessions_after is None else change.session_kept
            ),
        )
        self._db.users[user_id] = updated
        return updated

    async def clear_presence(self) -> None:
        for user_id, u in self._db.users.items():
            if u.status is not Presence.OFFLINE:
                self._db.users[user_id] = replace(u, status=Presence.OFFLINE)

    async def search(self, prefix: str, limit: int, *, after: str = "") -> list[User]:
        p = prefix.casefold()
        found = [
            u
            for u in self._db.users.values()
            if (u.username.startswith(p) or u.display_name.casefold().startswith(p))
            and u.username > after
        ]
        found.sort(key=lambda u: u.username)
        return found[:limit]


class MemoryContactStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        return self._db.contacts.get(owner_id, {}).get(user_id)

    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        return ContactPair(await self.get(owner_id, user_id), await self.get(user_id, owner_id))

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        if await self.pair(owner_id, user_id) != expected:
            return False
        for owner, user, side in ((owner_id, user_id, new.mine), (user_id, owner_id, new.theirs)):
            contacts = self._db.contacts.setdefault(owner, {})
            contacts.pop(user, None)
            if side is not None:
                contacts[user] = side
        return True

    async def list(self, owner_id: str) -> list[Contact]:
        return sorted(self._db.contacts.get(owner_id, {}).values(), key=lambda c: c.since)


class MemoryRevocationStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, revocation: Revocation) -> None:
        self._db.revocations.append(revocation)

    async def after(self, position: int, limit: int = 1000) -> tuple[list[Revocation], int]:
        found = self._db.revocations[position : position + limit]
        return found, position + len(found)

    async def position(self) -> int:
        return len(self._db.revocations)

    async def active(self, now: float) -> list[Revocation]:
        return [r for r in self._db.revocations if r.token_id and r.expires_at > now]
