"""Each user's contact list (QUERY_CACHE_SIZE, QUERY_CACHE_TTL): read for every presence
change (who may see it) and every contact listing."""

from __future__ import annotations

from ezchat.adapters.caching.caches import Caches
from ezchat.adapters.forwarding import ForwardingContactStore
from ezchat.domain.model import Contact, ContactPair
from ezchat.ports.storage import ContactStore


class CachedContactStore(ForwardingContactStore):
    def __init__(self, inner: ContactStore, caches: Caches) -> None:
        super().__init__(inner)
        self._cache = caches.contacts

    async def list(self, owner_id: str) -> list[Contact]:
        async def load() -> tuple[Contact, ...]:
            return tuple(await self._inner.list(owner_id))

        return list(await self._cache.load(owner_id, load) or ())

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        for side in (owner_id, user_id):  # a read in flight predates the write
            self._cache.pop(side)
        try:
            return await self._inner.swap_pair(owner_id, user_id, expected=expected, new=new)
        finally:
            for side in (owner_id, user_id):
                self._cache.pop(side)
