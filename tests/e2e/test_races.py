"""Rules that read, then write, raced by two servers sharing one database (as two processes
or nodes do), on SQLite and on MongoDB (nx-27017): a block is never undone by a contact request
crossing it, two requests crossing end accepted, a group never ends without an admin, and a
member's settings and role never overwrite each other."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ezchat.adapters.mongo import MongoDatabase, make_client, stores_over
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.adapters.sqlite import sqlite_stores
from ezchat.domain.commands import EditMessage, React, SendMessage
from ezchat.domain.errors import EzChatError, Forbidden
from ezchat.domain.model import ContactState, Role
from ezchat.entry.app import make_app
from tests.contract.conftest import OPTIONS
from tests.support import FAST_HASH_N
from tests.support import test_config as config_for

pytestmark = pytest.mark.gen_test

TRIALS = 25


@pytest.fixture(params=["sqlite", "mongo"])
def servers(request, io_loop, tmp_path):
    """Two apps, each with its own connection to one database and its own caches. No broker
    joins them, so the query cache is off: what is tested is what the stores guarantee."""
    name = f"ezchat_race_{uuid.uuid4().hex[:10]}"
    clients = []

    def raw_stores():
        if request.param == "sqlite":
            return sqlite_stores(tmp_path / "race.db")
        url = request.getfixturevalue("mongo_urls")["nx"]
        db = MongoDatabase(make_client(url, "motor", OPTIONS), name)
        clients.append(db)
        return stores_over(db)

    apps = [
        make_app(
            config_for(
                tmp_path, query_cache_size=0, message_rate_per_sec=10_000, message_burst=10_000
            ),
            stores=raw_stores(),
            hasher=ScryptPasswordHasher(n=FAST_HASH_N),
        )
        for _ in range(2)
    ]
    for app in apps:
        io_loop.run_sync(app.start)
    yield [app.services for app in apps]

    async def stop():
        if clients:
            await clients[0].client.drop_database(name)
        for app in apps:
            await app.aclose()

    io_loop.run_sync(stop)


async def users(services, n):
    out = []
    for _ in range(n):
        user, _ = await services.auth.register("u" + uuid.uuid4().hex[:12], "password-1")
        out.append(user.id)
    return out


async def settle(*calls):
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_a_contact_request_crossing_a_block_never_undoes_it(servers):
    one, two = servers
    for _ in range(TRIALS):
        p, q = await users(one, 2)
        results = await settle(one.contacts.block(p, q), two.contacts.request(q, p))
        assert not any(
            isinstance(r, Exception) and not isinstance(r, EzChatError) for r in results
        ), results
        mine = await one.stores.contacts.get(p, q)
        assert mine is not None and mine.state is ContactState.BLOCKED
        with pytest.raises(Forbidden):
            await two.conversations.open_direct(q, p)


async def test_two_requests_crossing_end_accepted_on_both_sides(servers):
    one, two = servers
    for _ in range(TRIALS):
        p, q = await users(one, 2)
        results = await settle(one.contacts.request(p, q), two.contacts.request(q, p))
        assert not any(isinstance(r, Exception) for r in results), results
        for a, b in ((p, q), (q, p)):
            side = await one.stores.contacts.get(a, b)
            assert side is not None and side.state is ContactState.ACCEPTED, (a, b, side)


async def test_a_group_never_ends_without_an_admin_when_its_admins_demote_and_leave(servers):
    one, two = servers
    for _ in range(TRIALS):
        a, b, c = await users(one, 3)
        view = await one.conversations.create_group(a, name="g", member_ids=[b, c])
        cid = view.conversation.id
        await one.members.set_role(a, cid, b, "admin")
        await settle(
            one.members.set_role(a, cid, a, "member"),
            two.members.remove_member(b, cid, b),
        )
        conv = await one.stores.conversations.get(cid)
        assert conv is not None and conv.admins(), conv


async def test_a_members_settings_and_an_admins_role_change_never_undo_each_other(servers):
    one, two = servers
    for _ in range(TRIALS):
        a, b = await users(one, 2)
        view = await one.conversations.create_group(a, name="g", member_ids=[b])
        cid = view.conversation.id
        await settle(
            one.members.update_settings(b, cid, pinned=True, muted=True),
            two.members.set_role(a, cid, b, "admin"),
        )
        m = (await one.stores.conversations.get(cid)).member(b)
        assert (m.role, m.pinned, m.muted) == (Role.ADMIN, True, True), m


async def test_concurrent_reactions_and_edits_of_one_message_are_all_kept(servers):
    one, two = servers
    members = await users(one, 8)
    view = await one.conversations.create_group(members[0], name="g", member_ids=members[1:])
    cid = view.conversation.id
    message, _ = await one.messages.send(members[0], SendMessage(cid, client_id="m", text="hi"))
    calls = [
        (one, two)[i % 2].messages.react(u, React(cid, message.id, emoji, add=True))
        for i, u in enumerate(members)
        for emoji in ("👍", "🎉")
    ]
    calls += [
        (one, two)[i % 2].messages.edit(members[0], EditMessage(cid, message.id, f"v{i}"))
        for i in range(6)
    ]
    results = await settle(*calls)
    assert not any(isinstance(r, Exception) for r in results), results
    final = await one.stores.messages.get(cid, message.id)
    reactions = final.reactions_dict()
    assert sorted(reactions["👍"]) == sorted(members) == sorted(reactions["🎉"])
    edits = [r for r in results[len(members) * 2 :]]
    # Each edit's answer is its own write, and no two answers share a rev.
    assert sorted(r.text for r in edits) == [f"v{i}" for i in range(6)]
    assert len({r.rev for r in results}) == len(results)
