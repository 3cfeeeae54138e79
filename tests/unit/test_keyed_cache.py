"""A crowd missing one key at once costs one read; a read a change overtook is not shared with
those who come after the change; a reader that goes away does not fail the others."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.adapters.caching.keyed import KeyedCache

pytestmark = pytest.mark.gen_test


class Store:
    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate = asyncio.Event()

    async def read(self) -> str:
        self.reads += 1
        seen = self.value
        await self.gate.wait()
        return seen


async def test_concurrent_misses_of_one_key_share_one_read():
    cache: KeyedCache[str, str] = KeyedCache(size=10, ttl=60)
    store = Store()
    crowd = [asyncio.ensure_future(cache.load("k", store.read)) for _ in range(50)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await asyncio.gather(*crowd) == ["v1"] * 50
    assert store.reads == 1
    assert (cache.stats.misses, cache.stats.hits) == (1, 49)


async def test_callers_after_a_change_do_not_share_the_read_it_overtook():
    cache: KeyedCache[str, str] = KeyedCache(size=10, ttl=60)
    store = Store()
    before = asyncio.ensure_future(cache.load("k", store.read))
    await asyncio.sleep(0)
    store.value = "v2"
    cache.pop("k")  # the change lands while the first read is in flight
    after = asyncio.ensure_future(cache.load("k", store.read))
    await asyncio.sleep(0)
    store.gate.set()
    assert await before == "v1" and await after == "v2"
    assert store.reads == 2
    assert cache.get("k") == "v2"  # only the read that began after the change is kept


async def test_a_reader_that_goes_away_leaves_the_others_to_read():
    cache: KeyedCache[str, str] = KeyedCache(size=10, ttl=60)
    store = Store()
    first = asyncio.ensure_future(cache.load("k", store.read))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(cache.load("k", store.read))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    store.gate.set()
    assert await second == "v1"
    assert first.cancelled() and store.reads == 2


async def test_a_failed_read_fails_every_caller_sharing_it():
    cache: KeyedCache[str, str] = KeyedCache(size=10, ttl=60)

    async def broken() -> str:
        await asyncio.sleep(0)
        raise OSError("store down")

    crowd = [asyncio.ensure_future(cache.load("k", broken)) for _ in range(3)]
    results = await asyncio.gather(*crowd, return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    assert cache.get("k") is None


def test_a_grown_cache_keeps_what_it_held_and_holds_more():
    cache: KeyedCache[int, str] = KeyedCache(size=4, ttl=60)
    for k in range(4):
        cache.put(k, f"v{k}")
    cache.grow(100)
    cache.grow(10)  # never shrinks
    assert cache.maxsize == 100
    for k in range(4, 100):
        cache.put(k, f"v{k}")
    assert [cache.get(k) for k in range(100)] == [f"v{k}" for k in range(100)]


def test_a_cache_that_is_off_stays_off_when_grown():
    cache: KeyedCache[int, str] = KeyedCache(size=0, ttl=60)
    cache.grow(100)
    cache.put(1, "v")
    assert cache.get(1) is None


async def test_the_caches_grow_with_the_users_connected(world):
    from ezchat.entry.realtime.connection import Connection

    caches = world.app.storage.caches
    hub = world.app.hub
    floor = caches.users.maxsize

    class Idle:
        def write_frame(self, data):
            return None

        def ping(self):
            pass

        def close(self, code=None, reason=None):
            pass

    users = [await world.user(f"user{i}") for i in range(3)]
    conns = [
        Connection(Idle(), user_id=u.id, session_id=u.id, max_frames=10, max_bytes=1000)
        for u in users
    ]
    for conn in conns:
        await hub.add(conn)
    # The first connection sizes them for 1,024 users: room for twice as many.
    assert caches.users.maxsize == max(floor, 2048) and caches.pages.maxsize >= 2048
    for conn in conns:
        hub.remove(conn)
