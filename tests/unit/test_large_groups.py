"""Groups above LARGE_GROUP_MEMBERS (3 here): their members are not told of each other's
presence, typing and receipts (each would cost a frame per member); everything else, and
what REST shows, stays as in any group. And a conversation's member lookups stay right through
any sequence of changes (they use an index kept across pointer changes)."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.domain.commands import SendMessage
from ezchat.domain.events import MessagePosted, PresenceChanged, ReceiptMoved, UserTyping
from ezchat.domain.model import PointerUpdate, Presence
from tests.contract.builders import group, member
from tests.support import World

pytestmark = pytest.mark.gen_test


@pytest.fixture
def crowd(tmp_path, io_loop):
    w = World(tmp_path, large_group_members=3)
    io_loop.run_sync(w.app.start)
    yield w
    io_loop.run_sync(w.app.aclose)


async def rooms(w):
    """alice, bob, carol, dave; a large group of the four and a small one of alice and bob."""
    a, b, c, d = [await w.user(n) for n in ("alice", "bob", "carol", "dave")]
    large = await w.conversations.create_group(a.id, name="all", member_ids=[b.id, c.id, d.id])
    small = await w.conversations.create_group(a.id, name="two", member_ids=[b.id])
    return (a, b, c, d), large.conversation.id, small.conversation.id


async def test_typing_goes_to_a_small_group_and_not_to_a_large_one(crowd):
    (a, *_), large, small = await rooms(crowd)
    crowd.events.clear()
    await crowd.typing.typing(a.id, large, True)
    assert crowd.events.of(UserTyping) == []
    await crowd.typing.typing(a.id, small, True)
    assert [e.conversation_id for e in crowd.events.of(UserTyping)] == [small]


async def test_a_receipt_in_a_large_group_goes_to_the_reader_only(crowd):
    (a, b, c, d), large, small = await rooms(crowd)
    for cid in (large, small):
        await crowd.messages.send(b.id, SendMessage(cid, client_id=f"m-{cid}", text="hi"))
    crowd.events.clear()
    await crowd.messages.mark_read(a.id, large, 1)
    await crowd.messages.mark_read(a.id, small, 1)
    large_receipt, small_receipt = crowd.events.of(ReceiptMoved)
    assert large_receipt.recipients == {a.id}
    assert small_receipt.recipients == {a.id, b.id}
    # What others cannot be pushed they can still read.
    receipts = {r.user_id: r.read_seq for r in await crowd.messages.receipts(d.id, large)}
    assert receipts[a.id] == 1


async def test_messages_of_a_large_group_still_reach_every_member(crowd):
    (a, b, c, d), large, _ = await rooms(crowd)
    crowd.events.clear()
    await crowd.messages.send(a.id, SendMessage(large, client_id="k", text="to all"))
    assert crowd.events.of(MessagePosted)[-1].recipients == {a.id, b.id, c.id, d.id}


async def test_presence_is_pushed_through_small_groups_and_contacts_only(crowd):
    (a, b, c, d), _, _ = await rooms(crowd)
    await crowd.contacts.request(a.id, c.id)
    await crowd.contacts.accept(c.id, a.id)
    presence = crowd.app.services.presence
    crowd.events.clear()
    await presence.connected(a.id, "s1")
    (event,) = crowd.events.of(PresenceChanged)
    assert event.recipients == {b.id, c.id}  # small group, contact; dave shares the large one
    # dave still sees alice's presence when he asks.
    (seen,) = await crowd.users.as_seen_by(d.id, [await crowd.users.get(a.id)])
    assert seen.status is Presence.ONLINE


async def test_at_the_limit_a_group_is_not_large(crowd):
    a, b, c = [await crowd.user(n) for n in ("ann", "ben", "cat")]
    conv = await crowd.conversations.create_group(a.id, name="3", member_ids=[b.id, c.id])
    cid = conv.conversation.id
    crowd.events.clear()
    await crowd.typing.typing(a.id, cid, True)
    assert crowd.events.of(UserTyping)[-1].recipients == {b.id, c.id}


changes = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "advance", "pointers"]),
        st.integers(0, 7),
        st.integers(0, 9),
    ),
    max_size=40,
)


@pytest.mark.gen_test(run_sync=False)
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(changes)
def test_member_lookups_agree_with_the_members_after_any_changes(steps):
    conv = group("u0", "u1", "u2")
    for op, who, seq in steps:
        user = f"u{who}"
        if op == "add":
            conv = conv.with_member(member(user))
        elif op == "remove":
            conv = conv.without_member(user)
        elif op == "advance":
            old = conv.member(user)
            if old is not None:
                conv = conv.with_member(replace(old, read_seq=seq))
        else:
            before = conv.member(user)
            conv = conv.with_pointers([PointerUpdate.of(conv.id, user, read_seq=seq)])
            after = conv.member(user)
            if before is None:
                assert after is None
            else:
                assert after is not None and after.read_seq == max(before.read_seq, seq)
        ids = [m.user_id for m in conv.members]
        assert len(ids) == len(set(ids))
        assert conv.member_ids == set(ids)
        for k in range(8):
            found = conv.member(f"u{k}")
            expected = next((m for m in conv.members if m.user_id == f"u{k}"), None)
            assert found == expected
