"""Sweeps on every store: a sender's standing messages in (conversation, seq) order, and
tombstones in bulk (a sender's, or the oldest before a time), each under a new rev, out of
the search index, with their files' references, never twice and never past a newer one."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.messages import Attachment
from ezchat.domain.search import SearchQuery, parse
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


async def _conv(stores, *members, retention=None):
    conv = replace(group(*members), retention_days=retention)
    await stores.conversations.add(conv)
    if retention is not None:
        await stores.conversations.update_info(conv)
    return conv


async def test_a_senders_messages_come_in_conversation_then_seq_order_and_page(stores):
    one, two = await _conv(stores, "a", "b"), await _conv(stores, "a", "b")
    for i in range(3):
        for conv in (one, two):
            await stores.messages.add(new_message(conv.id, "a", f"a{i}"))
            await stores.messages.add(new_message(conv.id, "b", f"b{i}"))
    first = min(one.id, two.id)
    found = await stores.sweeps.by_sender("a", after=None, limit=4)
    assert [(m.conversation_id, m.text) for m in found] == [
        (first, "a0"), (first, "a1"), (first, "a2"), (max(one.id, two.id), "a0"),
    ]  # fmt: skip
    rest = await stores.sweeps.by_sender(
        "a", after=(found[-1].conversation_id, found[-1].seq), limit=10
    )
    assert [m.text for m in rest] == ["a1", "a2"]
    assert await stores.sweeps.by_sender("nobody", after=None, limit=10) == []


async def test_erasing_a_sender_tombstones_theirs_only_under_new_revs(stores):
    conv = await _conv(stores, "a", "b")
    for i in range(5):
        await stores.messages.add(new_message(conv.id, "a", f"secret{i} words"))
        await stores.messages.add(new_message(conv.id, "b", f"keep{i} words"))
    words, phrases = parse("secret0")
    secret = SearchQuery(words=words, phrases=phrases)
    assert len((await stores.messages.search([conv.id], secret, 10))[0]) == 1
    swept = await stores.sweeps.erase(conv.id, limit=3, sender_id="a")
    assert [old.text for old, _ in swept] == ["secret0 words", "secret1 words", "secret2 words"]
    assert all(t.deleted and t.text == "" and t.sender_id == "a" for _, t in swept)
    revs = [t.rev for _, t in swept]
    assert revs == sorted(revs) and len(set(revs)) == 3
    more = await stores.sweeps.erase(conv.id, limit=10, sender_id="a")
    assert len(more) == 2
    assert await stores.sweeps.erase(conv.id, limit=10, sender_id="a") == []  # never twice
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=50)
    assert [m.text for m in page if not m.deleted] == [f"keep{i} words" for i in range(5)]
    assert [m.seq for m in page] == list(range(1, 11))  # places kept
    changed, _ = await stores.messages.changed_since(conv.id, swept[0][0].rev, 50)
    assert {m.id for m in changed if m.deleted} == {t.id for _, t in swept + more}
    found, _ = await stores.messages.search([conv.id], secret, 10)
    assert found == []
    assert (await stores.conversations.get(conv.id)).rev == max(t.rev for _, t in more)


async def test_retention_takes_the_oldest_before_the_time_and_stops_at_the_first_newer(stores):
    conv = await _conv(stores, "a", "b")
    for i in range(6):
        await stores.messages.add(new_message(conv.id, "a", f"m{i}", at_s=i * 10))
    swept = await stores.sweeps.erase(conv.id, limit=2, before=at(35))
    assert [old.text for old, _ in swept] == ["m0", "m1"]
    swept = await stores.sweeps.erase(conv.id, limit=10, before=at(35))
    assert [old.text for old, _ in swept] == ["m2", "m3"]
    assert await stores.sweeps.erase(conv.id, limit=10, before=at(35)) == []
    assert await stores.sweeps.erase("nowhere", limit=10, before=at(35)) == []


async def test_an_erased_message_no_longer_carries_its_file(stores):
    conv = await _conv(stores, "a", "b")
    file = Attachment(url="/api/files/f1", name="x.png", mime_type="image/png", size=3,
                      file_id="f" * 32)  # fmt: skip
    await stores.messages.add(new_message(conv.id, "a", "pic", attachments=(file,)))
    assert await stores.messages.conversations_with_file("f" * 32) == [conv.id]
    swept = await stores.sweeps.erase(conv.id, limit=10, sender_id="a")
    assert swept[0][0].attachments == (file,) and swept[0][1].attachments == ()
    assert await stores.messages.conversations_with_file("f" * 32) == []


async def test_two_sweeps_at_once_tombstone_each_message_once(stores):
    conv = await _conv(stores, "a", "b")
    for i in range(30):
        await stores.messages.add(new_message(conv.id, "a", f"m{i}"))
    rounds = await asyncio.gather(
        *(stores.sweeps.erase(conv.id, limit=7, sender_id="a") for _ in range(6))
    )
    while more := await stores.sweeps.erase(conv.id, limit=7, sender_id="a"):
        rounds.append(more)
    ids = [t.id for r in rounds for _, t in r]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 30
    revs = [t.rev for r in rounds for _, t in r]
    assert len(set(revs)) == 30


async def test_conversations_are_listed_with_their_retention(stores):
    plain = await _conv(stores, "a", "b")
    own = await _conv(stores, "a", "b", retention=7)
    listed = await stores.sweeps.conversations(after="", limit=10, own_only=False)
    assert dict(listed) == {plain.id: None, own.id: 7}
    assert await stores.sweeps.conversations(after="", limit=10, own_only=True) == [(own.id, 7)]
    first = min(plain.id, own.id)
    later = await stores.sweeps.conversations(after=first, limit=10, own_only=False)
    assert [c for c, _ in later] == [max(plain.id, own.id)]
