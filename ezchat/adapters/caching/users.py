"""Users by id (USER_CACHE_SIZE, USER_CACHE_TTL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ezchat.adapters.caching.caches import Caches
from ezchat.adapters.forwarding import ForwardingUserStore
from ezchat.domain.access import AccessChange, Credentials
from ezchat.domain.model import Presence, PresenceChange, User
from ezchat.ports.storage import UserStore


class CachedUserStore(ForwardingUserStore):
    def __init__(self, inner: UserStore, caches: Caches) -> None:
        super().__init__(inner)
        self._cache = caches.users

    async def add(self, user: User, credentials: Credentials) -> None:
        await self._inner.add(user, credentials)
        self._cache.put(user.id, user)

    async def get(self, user_id: str) -> User | None:
        return await self._cache.load(user_id, lambda: self._inner.get(user_id))

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        cache = self._cache
        found = {u: v for u in user_ids if (v := cache.get(u)) is not None}
        missing = [u for u in user_ids if u not in found]
        cache.stats.hits += len(found)
        cache.stats.misses += len(missing)
        if missing:
            tokens = {u: cache.begin(u) for u in dict.fromkeys(missing)}
            try:
                loaded = await self._inner.get_many(missing)
            finally:
                fresh = {u for u, token in tokens.items() if cache.end(u, token)}
            for u, user in loaded.items():
                if u in fresh:
                    cache.fill(u, user)
            found.update(loaded)
        return found

    async def update(self, user: User) -> None:
        self._cache.pop(user.id)
        await self._inner.update(user)
        self._cache.pop(user.id)

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        user = await self._inner.set_presence(user_id, status, last_seen)
        if user is not None:
            self._cache.put(user_id, user)
        else:
            self._cache.pop(user_id)
        return user

    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        users = await self._inner.set_presence_many(changes)
        for c in changes:
            user = users.get(c.user_id)
            if user is not None:
                self._cache.put(c.user_id, user)
            else:
                self._cache.pop(c.user_id)
        return users

    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        self._cache.pop(user_id)
        user = await self._inner.set_access(user_id, change)
        self._cache.pop(user_id)  # re-read: a token check must see the change at once
        return user

    async def clear_presence(self) -> None:
        await self._inner.clear_presence()
        self._cache.clear()
