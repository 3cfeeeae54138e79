"""Server keys and external ids on every store: one active key per name, revocation, and an
external id that belongs to one user even when two writers race for it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.access import Credentials
from ezchat.domain.apps import ServerKey
from ezchat.domain.errors import Conflict
from tests.contract.builders import at, user

pytestmark = pytest.mark.gen_test


def key(name: str, digest: str, t: float = 0) -> ServerKey:
    return ServerKey(name=name, key_hash=digest, created_at=at(t))


async def test_keys_one_active_per_name_revoked_for_good(stores):
    await stores.keys.add(key("backend", "h1"))
    with pytest.raises(Conflict):
        await stores.keys.add(key("backend", "h2", 1))
    assert (await stores.keys.by_hash("h1")).name == "backend"
    assert await stores.keys.by_hash("nope") is None
    assert await stores.keys.revoke("backend", at(5))
    assert not await stores.keys.revoke("backend", at(6))
    assert (await stores.keys.by_hash("h1")).revoked_at == at(5)
    await stores.keys.add(key("backend", "h2", 7))  # the name is free again
    listed = await stores.keys.list()
    assert [(k.key_hash, k.revoked_at is None) for k in listed] == [("h1", False), ("h2", True)]


async def test_an_external_id_names_one_user(stores):
    u, creds = user("ada")
    u = replace(u, external_id="ext-1")
    await stores.users.add(u, creds)
    assert (await stores.users.get_by_external_id("ext-1")).id == u.id
    assert (await stores.users.get(u.id)).external_id == "ext-1"
    assert await stores.users.get_by_external_id("ext-2") is None
    other, other_creds = user("bea")
    with pytest.raises(Conflict):
        await stores.users.add(replace(other, external_id="ext-1"), other_creds)
    assert await stores.users.get_by_username("bea") is None  # nothing of the loser stays
    plain, plain_creds = user("cid")
    await stores.users.add(plain, plain_creds)
    assert (await stores.users.get(plain.id)).external_id is None


async def test_racing_writers_of_one_external_id_leave_one_user(stores):
    people = [user(f"racer{i}") for i in range(8)]

    async def add(u, c: Credentials) -> bool:
        try:
            await stores.users.add(replace(u, external_id="contested"), c)
            return True
        except Conflict:
            return False

    won = await asyncio.gather(*(add(u, c) for u, c in people))
    assert won.count(True) == 1
    winner = people[won.index(True)][0]
    assert (await stores.users.get_by_external_id("contested")).id == winner.id
