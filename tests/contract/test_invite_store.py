"""Invites on every store: a use is taken only while one is left and the code has not expired,
atomically, so uses at once past the count admit only as many as it has."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.domain.ids import new_id
from ezchat.domain.invites import Invite, code_hash, new_code

pytestmark = pytest.mark.gen_test


def invite(uses=2, expires_at=1000.0, created_at=1.0) -> tuple[Invite, str]:
    code = new_code()
    hashed = code_hash(code)
    assert hashed is not None
    return Invite(new_id(), hashed, uses, uses, expires_at, "admin", created_at), code


async def test_uses_are_taken_until_none_are_left_or_it_expires(stores):
    made, _ = invite(uses=2)
    await stores.invites.add(made)
    first = await stores.invites.use(made.code_hash, now=10)
    assert first is not None and first.left == 1
    assert (await stores.invites.use(made.code_hash, now=10)).left == 0
    assert await stores.invites.use(made.code_hash, now=10) is None
    await stores.invites.give_back(made.id)
    assert (await stores.invites.use(made.code_hash, now=10)).left == 0
    await stores.invites.give_back(made.id)
    await stores.invites.give_back(made.id)
    await stores.invites.give_back(made.id)  # never more than it had
    listed = {i.id: i for i in await stores.invites.all()}
    assert listed[made.id].left == 2
    assert await stores.invites.use(made.code_hash, now=1000) is None  # expired
    assert await stores.invites.use("0" * 64, now=10) is None


async def test_uses_at_once_past_the_count_admit_only_the_count(stores):
    made, _ = invite(uses=3)
    await stores.invites.add(made)
    taken = await asyncio.gather(*(stores.invites.use(made.code_hash, now=5) for _ in range(12)))
    assert sum(1 for t in taken if t is not None) == 3
    assert sorted(t.left for t in taken if t is not None) == [0, 1, 2]


async def test_invites_are_listed_newest_first_and_removed(stores):
    old, _ = invite(created_at=1)
    new, _ = invite(created_at=2)
    await stores.invites.add(old)
    await stores.invites.add(new)
    assert [i.id for i in await stores.invites.all()] == [new.id, old.id]
    assert await stores.invites.remove(old.id)
    assert not await stores.invites.remove(old.id)
    assert await stores.invites.use(old.code_hash, now=5) is None
