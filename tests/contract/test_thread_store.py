"""Threads on every store: replies found by their root, the summary computed from what
stands, paging, unread counts, and follow records that only move the way they should, also
when written at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.messages import ThreadSummary
from ezchat.domain.threads import MAX_PARTICIPANTS
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


async def _thread(stores, replies=(("b", 1), ("c", 2), ("b", 3))):
    conv = group("a", "b", "c")
    await stores.conversations.add(conv)
    root, _ = await stores.messages.add(new_message(conv.id, "a", "root"))
    await stores.messages.add(new_message(conv.id, "a", "elsewhere"))
    out = []
    for sender, t in replies:
        m, _ = await stores.messages.add(
            replace(new_message(conv.id, sender, f"r{t}", at_s=t), reply_to=root.id,
                    thread_root=root.id)
        )  # fmt: skip
        out.append(m)
    return conv, root, out


async def test_the_summary_counts_the_replies_that_stand(stores):
    conv, root, replies = await _thread(stores)
    assert all(r.thread_root == root.id for r in replies)
    got = await stores.threads.summary(conv.id, root.id)
    assert got == ThreadSummary(3, at(3), ("b", "c"))
    last = replies[-1]
    await stores.messages.replace(last.tombstone(), expected_rev=last.rev)
    assert await stores.threads.summary(conv.id, root.id) == ThreadSummary(2, at(2), ("b", "c"))
    for r in replies[:2]:
        current = await stores.messages.get(conv.id, r.id)
        await stores.messages.replace(current.tombstone(), expected_rev=current.rev)
    assert await stores.threads.summary(conv.id, root.id) == ThreadSummary()
    assert await stores.threads.summary(conv.id, "no-such-root") == ThreadSummary()


async def test_participants_stop_at_the_cap_in_the_order_they_first_replied(stores):
    senders = [(f"u{i:02d}", i + 1) for i in range(MAX_PARTICIPANTS + 3)]
    conv, root, _ = await _thread(stores, senders)
    got = await stores.threads.summary(conv.id, root.id)
    assert got.reply_count == MAX_PARTICIPANTS + 3
    assert got.participants == tuple(s for s, _ in senders[:MAX_PARTICIPANTS])


async def test_the_root_keeps_the_summary_written_onto_it(stores):
    conv, root, _ = await _thread(stores)
    summary = await stores.threads.summary(conv.id, root.id)
    stored = await stores.messages.replace(replace(root, thread=summary), expected_rev=root.rev)
    assert stored.thread == summary
    assert (await stores.messages.get(conv.id, root.id)).thread == summary
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert page[0].thread == summary and page[0].thread_root is None
    gone = await stores.messages.replace(stored.tombstone(), expected_rev=stored.rev)
    assert gone.thread == summary  # the replies stay, and so does what the root shows of them


async def test_a_thread_pages_root_first_in_seq_order(stores):
    conv, root, replies = await _thread(stores, [("b", i) for i in range(1, 6)])
    ids = [root.id, *(r.id for r in replies)]
    page, more = await stores.threads.page(conv.id, root.id, before=None, after=None, limit=10)
    assert [m.id for m in page] == ids and not more
    newest, more = await stores.threads.page(conv.id, root.id, before=None, after=None, limit=3)
    assert [m.id for m in newest] == ids[-3:] and more
    older, more = await stores.threads.page(
        conv.id, root.id, before=newest[0].seq, after=None, limit=3
    )
    assert [m.id for m in older] == ids[:3] and not more
    first, more = await stores.threads.page(conv.id, root.id, before=None, after=0, limit=2)
    assert [m.id for m in first] == ids[:2] and more
    rest, more = await stores.threads.page(
        conv.id, root.id, before=None, after=first[-1].seq, limit=10
    )
    assert [m.id for m in rest] == ids[2:] and not more


async def test_unread_replies_are_others_that_stand_above_the_pointer(stores):
    conv, root, replies = await _thread(stores)
    assert await stores.threads.count_unread(conv.id, root.id, "a", 0) == 3
    assert await stores.threads.count_unread(conv.id, root.id, "b", 0) == 1
    assert await stores.threads.count_unread(conv.id, root.id, "a", replies[1].seq) == 1
    second = replies[1]
    await stores.messages.replace(second.tombstone(), expected_rev=second.rev)
    assert await stores.threads.count_unread(conv.id, root.id, "a", 0) == 2


async def test_follow_records_keep_an_unfollow_unless_renewed(stores):
    conv, root, _ = await _thread(stores)
    t = stores.threads
    await t.follow("b", conv.id, root.id, read_seq=5, renew=False)
    await t.follow("b", conv.id, root.id, read_seq=3, renew=False)
    assert [(f.user_id, f.following, f.read_seq) for f in await t.follows(conv.id, root.id)] == [
        ("b", True, 5)
    ]
    await t.unfollow("b", conv.id, root.id)
    await t.follow("b", conv.id, root.id, read_seq=7, renew=False)  # another's reply
    (f,) = await t.follows(conv.id, root.id)
    assert (f.following, f.read_seq) == (False, 7)
    assert await t.followed("b") == []
    await t.follow("b", conv.id, root.id, read_seq=6, renew=True)  # their own reply
    (f,) = await t.follows(conv.id, root.id)
    assert (f.following, f.read_seq) == (True, 7)
    (followed,) = await t.followed("b")
    assert followed.follow == f and followed.root.id == root.id


async def test_reading_a_thread_never_moves_back_and_does_not_follow(stores):
    conv, root, _ = await _thread(stores)
    t = stores.threads
    assert (await t.read("c", conv.id, root.id, 4)).read_seq == 4
    got = await t.read("c", conv.id, root.id, 2)
    assert (got.following, got.read_seq) == (False, 4)
    await t.unfollow("a", conv.id, root.id)
    assert {f.user_id: f.following for f in await t.follows(conv.id, root.id)} == {
        "c": False,
        "a": False,
    }


async def test_followed_threads_leave_out_unfollowed_and_missing_roots(stores):
    conv, root, _ = await _thread(stores)
    t = stores.threads
    await t.follow("b", conv.id, root.id, read_seq=0, renew=True)
    await t.follow("b", conv.id, "gone", read_seq=0, renew=True)
    await t.follow("c", conv.id, root.id, read_seq=0, renew=True)
    await t.unfollow("c", conv.id, root.id)
    assert [x.root.id for x in await t.followed("b")] == [root.id]
    assert await t.followed("c") == []


async def test_concurrent_follow_changes_of_one_record_lose_no_read_progress(stores):
    conv, root, _ = await _thread(stores)
    t = stores.threads
    await asyncio.gather(
        *(t.follow("b", conv.id, root.id, read_seq=s, renew=True) for s in range(1, 21)),
        *(t.read("b", conv.id, root.id, s) for s in range(21, 31)),
    )
    (f,) = await t.follows(conv.id, root.id)
    assert (f.following, f.read_seq) == (True, 30)
