"""Presence writes that arrive together are written together, and each caller gets its own
answer (or the store's error) once its batch is written."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.adapters.batching import BatchedPresenceStore
from ezchat.adapters.memory import memory_stores
from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.model import Presence
from tests.contract.builders import at, user
from tests.support import present

pytestmark = pytest.mark.gen_test


class Counting:
    """A user store that counts bulk writes and can fail them."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.bulk: list[int] = []
        self.fail = False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def set_presence_many(self, changes):
        self.bulk.append(len(changes))
        await asyncio.sleep(0.01)  # a write takes time: the next batch gathers meanwhile
        if self.fail:
            raise StorageUnavailable("store down")
        return await self.inner.set_presence_many(changes)


async def test_a_crowd_going_online_is_written_in_few_batches():
    raw = memory_stores()
    users = [user(f"user{i}") for i in range(50)]
    for u in users:
        await raw.users.add(*u)
    counting = Counting(raw.users)
    batched = BatchedPresenceStore(counting, max_batch=20)
    got = await asyncio.gather(
        *(batched.set_presence(u.id, Presence.ONLINE, at(1)) for u, _ in users),
        batched.set_presence("ghost", Presence.ONLINE, at(1)),
    )
    assert [present(g).id for g in got[:-1]] == [u.id for u, _ in users] and got[-1] is None
    assert all(present(g).status is Presence.ONLINE for g in got[:-1])
    assert counting.bulk == [20, 20, 11]  # not 51 writes
    assert present(await raw.users.get(users[7][0].id)).status is Presence.ONLINE


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_one_goes_on():
    raw = memory_stores()
    a, b = user("alice"), user("bob")
    await raw.users.add(*a)
    await raw.users.add(*b)
    counting = Counting(raw.users)
    batched = BatchedPresenceStore(counting)
    counting.fail = True
    results = await asyncio.gather(
        batched.set_presence(a[0].id, Presence.ONLINE, at(1)),
        batched.set_presence(b[0].id, Presence.ONLINE, at(1)),
        return_exceptions=True,
    )
    assert all(isinstance(r, StorageUnavailable) for r in results)
    counting.fail = False
    assert (
        present(await batched.set_presence(a[0].id, Presence.AWAY, at(2))).status is Presence.AWAY
    )
