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
