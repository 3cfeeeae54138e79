"""The caches never serve a stale membership, page, pointer or profile, and they do serve."""

import asyncio
import dataclasses
from typing import Any

import pytest

from ezchat.adapters.caching import (
    CachedConversationStore,
    CachedMessageStore,
    Caches,
    apply_remote,
)
from ezchat.adapters.memory import memory_stores
from ezchat.domain.commands import DeleteMessage, EditMessage, React, SendMessage
from ezchat.domain.errors import NotFound
from ezchat.domain.events import MemberRemoved, ThreadUpdated
from ezchat.domain.messages import Attachment, ThreadSummary
from tests.contract.builders import group, new_message

pytestmark = pytest.mark.gen_test


async def room(world, *names):
    users = [await world.user(n) for n in names]
    view = await world.conversations.create_group(
        users[0].id, name="r", member_ids=[u.id for u in users[1:]]
    )
    return users, view.conversation.id


async def newest(world, user, cid, limit=50):
    msgs, more = await world.messages.history(user.id, cid, before=None, after=None, limit=limit)
    return [m.text for m in msgs], more


async def test_membership_changes_are_seen_at_once_by_sends_and_reads(world):
    (a, b, c), cid = await room(world, "alice", "bob", "carol")
    await world.messages.send(b.id, SendMessage(cid, client_id="1", text="warm the cache"))
    await world.members.remove_member(a.id, cid, b.id)
    with pytest.raises(NotFound):
        await world.messages.send(b.id, SendMessage(cid, client_id="2", text="still in?"))
    with pytest.raises(NotFound):
        await world.messages.history(b.id, cid, before=None, after=None, limit=10)
    assert [
        v.conversation.id
        for v in (await world.conversations.listing(b.id, limit=10, after=None))[0]
    ] == []
    await world.members.add_member(a.id, cid, b.id)
    msg, _ = await world.messages.send(b.id, SendMessage(cid, client_id="3", text="back"))
    assert msg.seq == 2
    assert [
        v.conversation.id
        for v in (await world.conversations.listing(b.id, limit=10, after=None))[0]
    ] == [cid]


async def test_the_newest_page_follows_sends_edits_deletes_and_reactions(world):
    (a, b), cid = await room(world, "alice", "bob")
    for i in range(3):
        await world.messages.send(a.id, SendMessage(cid, client_id=f"m{i}", text=f"m{i}"))
    assert await newest(world, b, cid) == (["m0", "m1", "m2"], False)  # now cached
    m3, _ = await world.messages.send(a.id, SendMessage(cid, client_id="m3", text="m3"))
    await world.messages.edit(a.id, EditMessage(cid, m3.id, "m3 edited"))
    page, _ = await world.messages.history(b.id, cid, before=None, after=None, limit=50)
    first = page[0]
    await world.messages.delete(a.id, DeleteMessage(cid, first.id))
    await world.messages.react(b.id, React(cid, page[1].id, "👍", add=True))
    msgs, _ = await world.messages.history(b.id, cid, before=None, after=None, limit=50)
    assert [m.text for m in msgs] == ["", "m1", "m2", "m3 edited"]
    assert msgs[0].deleted and msgs[1].reactions_dict() == {"👍": [b.id]}
    assert [m.seq for m in msgs] == [1, 2, 3, 4]
    assert await newest(world, b, cid, limit=2) == (["m2", "m3 edited"], True)
    stats = world.app.storage.caches.stats["pages"]
    assert stats.hits >= 3 and stats.misses == 1


async def test_the_page_stays_right_past_a_hundred_messages(world):
    (a, b), cid = await room(world, "alice", "bob")
    await newest(world, b, cid)
    for i in range(105):
        world.clock.advance(0.2)  # within the sender's rate limit
        await world.messages.send(a.id, SendMessage(cid, client_id=f"m{i}", text=f"m{i}"))
    texts, more = await newest(world, b, cid, limit=100)
    assert texts == [f"m{i}" for i in range(5, 105)] and more
    older, more = await world.messages.history(b.id, cid, before=6, after=None, limit=100)
    assert [m.text for m in older] == [f"m{i}" for i in range(5)] and not more


async def test_unread_counts_and_read_pointers_are_never_stale(world):
    (a, b), cid = await room(world, "alice", "bob")
    for i in range(4):
        await world.messages.send(a.id, SendMessage(cid, client_id=f"m{i}", text=f"m{i}"))
    assert (await world.conversations.get(b.id, cid)).unread_count == 4
    await world.messages.mark_read(b.id, cid, 3)
    view = await world.conversations.get(b.id, cid)
    assert (view.unread_count, view.member.read_seq) == (1, 3)
    receipts = {r.user_id: r.read_seq for r in await world.messages.receipts(a.id, cid)}
    assert receipts[b.id] == 3
    await world.messages.send(a.id, SendMessage(cid, client_id="m4", text="m4"))
    assert (await world.conversations.get(b.id, cid)).unread_count == 2


async def test_pointers_reach_the_store_in_bulk_and_at_shutdown(world):
    (a, b, c), cid = await room(world, "alice", "bob", "carol")
    for i in range(3):
        await world.messages.send(a.id, SendMessage(cid, client_id=f"m{i}", text=f"m{i}"))
    pointers = world.app.storage.pointers
    await world.messages.mark_read(b.id, cid, 1)
    await world.messages.mark_read(b.id, cid, 2)
    await world.messages.mark_delivered(c.id, cid, 3)
    raw = pointers._inner
    stored = (await raw.get(cid)).member(b.id)  # the cache below the buffer: not written yet
    assert stored.read_seq == 0
    await pointers.flush()
    assert pointers.flushes == 1 and pointers.flushed_pointers == 2
    assert (await raw.get(cid)).member(b.id).read_seq == 2
    await world.messages.mark_read(c.id, cid, 3)
    await world.app.aclose()  # flushes what is pending
    assert (await raw.get(cid)).member(c.id).read_seq == 3


async def test_profile_and_presence_changes_replace_the_cached_user(world):
    a = await world.user("alice")
    assert (await world.users.get(a.id)).display_name == "alice"
    await world.users.update_profile(a.id, display_name="Alice", avatar_url=None)
    assert (await world.users.get(a.id)).display_name == "Alice"
    await world.app.services.presence.connected(a.id, "conn-1")
    assert (await world.users.get(a.id)).status.value == "online"
    assert world.app.storage.caches.stats["users"].hits > 0


async def test_a_deleted_group_leaves_nothing_cached(world):
    (a, b), cid = await room(world, "alice", "bob")
    files = [Attachment("https://x/y.png", "y.png", "image/png", 1)]
    await world.messages.send(
        a.id, SendMessage(cid, client_id="m", text="x", attachments=tuple(files))
    )
    await newest(world, b, cid)
    await world.conversations.delete(a.id, cid)
    with pytest.raises(NotFound):
        await world.messages.history(b.id, cid, before=None, after=None, limit=10)
    assert cid not in world.app.storage.caches.pages
    assert cid not in world.app.storage.caches.conversations


async def test_caches_of_size_zero_are_off(tmp_path):
    from tests.support import World

    w = World(tmp_path, user_cache_size=0, query_cache_size=0, message_cache_size=0)
    await w.app.start()
    try:
        a = await w.user("alice")
        await w.users.get(a.id)
        await w.users.get(a.id)
        assert len(w.app.storage.caches.users) == 0
        assert w.app.storage.caches.stats["users"].hits == 0
    finally:
        await w.app.aclose()


class SlowReads:
    """A store whose next read of a conversation or page is taken now and answered only when
    the test opens the gate: the read is in flight while other things change."""

    def __init__(self, inner):
        self.inner = inner
        self.gate = None

    def hold(self):
        self.gate = asyncio.Event()
        return self.gate

    async def _slow(self, result):
        gate, self.gate = self.gate, None
        if gate is not None:
            await gate.wait()
        return result

    async def get(self, *args):
        return await self._slow(await self.inner.get(*args))

    async def page(self, *args, **kwargs):
        return await self._slow(await self.inner.page(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self.inner, name)


def slow_stack():
    raw = memory_stores()
    caches = Caches(
        user_size=10, user_ttl=60, query_size=10, query_ttl=60, message_size=100, message_ttl=60
    )
    slow_convs, slow_msgs = SlowReads(raw.conversations), SlowReads(raw.messages)
    return (
        raw,
        caches,
        slow_convs,
        slow_msgs,
        CachedConversationStore(slow_convs, caches),
        CachedMessageStore(slow_msgs, caches),
    )


@pytest.mark.parametrize("change", ["here", "remote"])
async def test_a_read_in_flight_across_a_membership_change_is_not_kept(change):
    raw, caches, slow, _, convs, _ = slow_stack()
    conv = group("a", "b")
    await raw.conversations.add(conv)
    gate = slow.hold()
    read = asyncio.ensure_future(convs.get(conv.id))  # reads a+b, then waits
    await asyncio.sleep(0)
    if change == "here":
        await convs.remove_member(conv.id, "b")
    else:  # another process removed b; its event arrives while the read is in flight
        await raw.conversations.remove_member(conv.id, "b")
        apply_remote(
            caches,
            MemberRemoved(recipients=frozenset({"a", "b"}), conversation_id=conv.id, user_id="b"),
        )
    gate.set()
    assert (await read).member_ids == {"a", "b"}  # that read's own answer, as it was
    assert (await convs.get(conv.id)).member_ids == {"a"}  # but it was not kept


async def test_a_page_read_in_flight_across_a_send_is_not_kept():
    raw, caches, _, slow, _, msgs = slow_stack()
    conv = group("a", "b")
    await raw.conversations.add(conv)
    await msgs.add(new_message(conv.id, "a", "one"))
    gate = slow.hold()
    read = asyncio.ensure_future(msgs.page(conv.id, before=None, after=None, limit=50))
    await asyncio.sleep(0)
    await msgs.add(new_message(conv.id, "a", "two"))
    gate.set()
    assert [m.text for m in (await read)[0]] == ["one"]
    page, _ = await msgs.page(conv.id, before=None, after=None, limit=50)
    assert [m.text for m in page] == ["one", "two"]


@pytest.mark.parametrize("seed", range(6))
async def test_sync_from_the_cached_page_answers_as_the_store_does(tmp_path, io_loop, seed):
    """A conversation of at most a page is synced from the cached newest page: for every rev
    and limit, after any mix of sends, edits, deletes and reactions, the answer is the
    store's."""
    import random

    from ezchat.adapters.memory import memory_stores
    from tests.support import World, present

    raw = memory_stores()
    world = World(tmp_path, stores=raw)
    await world.app.start()
    try:
        rng = random.Random(seed)
        (a, b), cid = await room(world, "alice", "bob")
        sent: list[Any] = []
        for i in range(rng.randrange(5, 60)):
            world.clock.advance(0.2)
            kind = rng.random()
            if kind < 0.6 or not sent:
                m, _ = await world.messages.send(a.id, SendMessage(cid, f"m{i}", f"text {i}"))
                sent.append(m.id)
            elif kind < 0.75:
                await world.messages.edit(a.id, EditMessage(cid, rng.choice(sent), f"edit {i}"))
            elif kind < 0.85:
                gone = sent.pop(rng.randrange(len(sent)))  # a deleted one takes no more changes
                await world.messages.delete(a.id, DeleteMessage(cid, gone))
            else:
                await world.messages.react(b.id, React(cid, rng.choice(sent), "👍", add=True))
            if rng.random() < 0.3:  # sometimes read the page, so that it is cached midway
                await newest(world, b, cid)
        conv = present(await raw.conversations.get(cid))
        for rev in range(conv.rev + 2):
            for limit in (1, 3, 100):
                cached = await world.messages.changed_since(b.id, cid, rev, limit)
                stored = await raw.messages.changed_since(cid, rev, limit)
                assert cached[:2] == stored, (rev, limit)
        assert world.app.storage.caches.pages.get(cid) is not None  # it did use the page
    finally:
        await world.app.aclose()


async def test_contact_lists_are_cached_and_follow_every_change(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")

    async def listed(user):
        return {(c.user_id, c.state.value) for c, _ in await world.contacts.list(user.id)}

    await world.contacts.request(a.id, b.id)
    assert await listed(a) == {(b.id, "outgoing")} and await listed(b) == {(a.id, "incoming")}
    await world.contacts.accept(b.id, a.id)  # the other side's write changes a's list too
    assert await listed(a) == {(b.id, "accepted")}
    assert await world.users.audience(a.id) == {a.id, b.id}
    await world.contacts.block(a.id, b.id)
    assert await listed(a) == {(b.id, "blocked")}
    assert await world.users.audience(a.id) == {a.id}
    stats = world.app.storage.caches.stats["contacts"]
    assert stats.hits > 0
    # Another process's change arrives as an event: the list is read again.
    raw = world.app.storage.caches
    assert raw.contacts.get(c.id) is None
    await listed(c)
    assert raw.contacts.get(c.id) is not None
    from ezchat.domain.events import ContactChanged

    apply_remote(
        raw, ContactChanged(recipients=frozenset({a.id}), owner_id=a.id, user_id=c.id, contact=None)
    )
    assert raw.contacts.get(c.id) is None and raw.contacts.get(a.id) is None


async def test_a_thread_summary_written_by_another_process_replaces_the_cached_root():
    raw, caches, _, _, _, msgs = slow_stack()
    conv = group("a", "b")
    await raw.conversations.add(conv)
    root, _ = await msgs.add(new_message(conv.id, "a", "root"))
    await msgs.page(conv.id, before=None, after=None, limit=50)  # the newest page, cached
    # Another process wrote the root's new summary (under a new rev) and said so.
    summary = ThreadSummary(1, root.created_at, ("b",))
    stored = await raw.messages.replace(
        dataclasses.replace(root, thread=summary), expected_rev=root.rev
    )
    apply_remote(caches, ThreadUpdated(recipients=frozenset({"a", "b"}), root=stored))
    got = await msgs.get(conv.id, root.id)
    assert (got.rev, got.thread) == (stored.rev, summary)  # so an edit here is not stale
