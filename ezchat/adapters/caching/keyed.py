"""A TTL cache that never keeps a stale read.

A miss loads from the store; the load takes time, and a change of the same key may land while
it is in flight (a member removed during a slow read, an invalidation from another process).
Its result then predates the change, and keeping it would serve the old value until the TTL
ends. So every change of a key (``put``, ``pop``, ``clear``) marks the loads of that key in
flight as stale, and a stale load's result is returned to its caller but not kept.

A cache may also keep only the keys it is told of changes to (``admits``): a process that does
not hear a conversation's events caches nothing of it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class Counter:
    hits: int = 0
    misses: int = 0

    @property
    def ratio(self) -> float | None:
        total = self.hits + self.misses
        return round(self.hits / total, 4) if total else None


class _Load:
    __slots__ = ("stale",)

    def __init__(self) -> None:
        self.stale = False


class KeyedCache(Generic[K, V]):
    def __init__(
        self,
        *,
        size: int,
        ttl: float,
        getsizeof: Callable[[V], float] | None = None,
        admits: Callable[[K], bool] | None = None,
    ) -> None:
        """``admits``: whether a key may be kept now; a key it refuses at a load's start or at
        a store is not kept (its owner pops the key when it stops admitting it)."""
        self.enabled = size > 0 and ttl > 0
        self._admits = admits
        self._getsizeof = getsizeof
        self._data: TTLCache[K, V] = TTLCache(max(size, 1), max(ttl, 1e-9), getsizeof=getsizeof)
        self._loads: dict[K, list[_Load]] = {}
        self._shared: dict[K, tuple[_Load, asyncio.Future[V | None]]] = {}
        self.stats = Counter()

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: K) -> V | None:
        """What is held, counting neither hit nor miss (``load`` counts)."""
        return self._data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    @property
    def currsize(self) -> float:
        return float(self._data.currsize)

    @property
    def maxsize(self) -> float:
        return float(self._data.maxsize)

    def grow(self, size: int) -> None:
        """Hold up to ``size`` (never less than now): what is held stays, each entry for up
        to one more TTL. A cache of size 0 (off) stays off."""
        if not self.enabled or size <= self._data.maxsize:
            return
        bigger: TTLCache[K, V] = TTLCache(size, self._data.ttl, getsizeof=self._getsizeof)
        for key, value in list(self._data.items()):
            bigger[key] = value
        self._data = bigger

    async def load(self, key: K, loader: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached value, or ``loader()``'s, kept only if no change of ``key`` landed
        while it was in flight. Callers that miss while a load of the key is in flight, and no
        change has landed since it began, share its result (counted as hits): a crowd asking
        for one key at once costs one read."""
        value = self._data.get(key)
        if value is not None:
            self.stats.hits += 1
            return value
        shared = self._shared.get(key)
        if shared is not None and not shared[0].stale:
            self.stats.hits += 1
            try:
                return await asyncio.shield(shared[1])
            except asyncio.CancelledError:
                if not shared[1].cancelled():
                    raise  # this caller was cancelled
                # The caller that was reading went away before it finished: read here.
        self.stats.misses += 1
        token = self.begin(key)
        result: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        result.add_done_callback(_retrieve)
        self._shared[key] = (token, result)
        try:
            value = await loader()
        except asyncio.CancelledError:
            result.cancel()
            raise
        except BaseException as exc:
            result.set_exception(exc)
            raise
        else:
            result.set_result(value)
        finally:
            if self._shared.get(key, (None, None))[0] is token:
                del self._shared[key]
            fresh = self.end(key, token)
        if fresh and value is not None:
            self._store(key, value)
        return value

    def begin(self, key: K) -> _Load:
        """Start a load by hand (``load`` does this): pass the token to ``end``."""
        token = _Load()
        if self._admits is not None and not self._admits(key):
            token.stale = True
        self._loads.setdefault(key, []).append(token)
        return token

    def end(self, key: K, token: _Load) -> bool:
        """Whether the load's result may be kept."""
        loads = self._loads.get(key)
        if loads is not None:
            loads.remove(token)
            if not loads:
                del self._loads[key]
        return not token.stale

    # -- changing ----------------------------------------------------------------------------

    def put(self, key: K, value: V) -> None:
        """A value known current (the result of a write): kept, and loads in flight are stale."""
        self._changed(key)
        self._store(key, value)

    def pop(self, key: K) -> None:
        self._changed(key)
        self._data.pop(key, None)

    def clear(self) -> None:
        for loads in self._loads.values():
            for token in loads:
                token.stale = True
        self._data.clear()

    def fill(self, key: K, value: V) -> None:
        """A side result of another load the caller checked was fresh for this key: kept
        unless present already or a load of the key is in flight."""
        if key not in self._data and key not in self._loads:
            self._store(key, value)

    def _changed(self, key: K) -> None:
        for token in self._loads.get(key, ()):
            token.stale = True

    def _store(self, key: K, value: V) -> None:
        if self.enabled and (self._admits is None or self._admits(key)):
            self._data[key] = value


def _retrieve(result: asyncio.Future[Any]) -> None:
    """Mark a shared load's failure seen: no other caller may have been waiting."""
    if not result.cancelled():
        result.exception()
