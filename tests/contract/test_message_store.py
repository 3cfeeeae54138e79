import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.errors import EzChatError, NotFound, StaleWrite
from ezchat.domain.messages import Attachment
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


@pytest.fixture
def conv(stores, io_loop):
    c = group("a", "b", "c")
    io_loop.run_sync(lambda: stores.conversations.add(c))
    return c


async def test_a_message_gets_the_next_seq_and_rev_and_moves_the_conversation(stores, conv):
    files = (Attachment("https://x/f.png", "f.png", "image/png", 12),)
    m1, created = await stores.messages.add(
        new_message(conv.id, "a", "one", at_s=5, attachments=files)
    )
    m2, _ = await stores.messages.add(new_message(conv.id, "b", "two", at_s=6))
    assert created and (m1.seq, m1.rev, m2.seq, m2.rev) == (1, 1, 2, 2)
    assert await stores.messages.get(conv.id, m1.id) == m1
    assert m1.attachments == files and m1.created_at == at(5)
    stored = await stores.conversations.get(conv.id)
    assert (stored.last_seq, stored.rev, stored.last_activity) == (2, 2, at(6))
    assert await stores.messages.get("other", m1.id) is None


async def test_a_repeated_sender_and_client_id_returns_the_original(stores, conv):
    first, _ = await stores.messages.add(new_message(conv.id, "a", "x", client_id="k"))
    again, created = await stores.messages.add(new_message(conv.id, "a", "changed", client_id="k"))
    assert not created and again == first
    other, created = await stores.messages.add(new_message(conv.id, "b", "x", client_id="k"))
    assert created and other.seq == 2


async def test_a_message_to_a_missing_conversation_is_not_found(stores):
    with pytest.raises(NotFound):
        await stores.messages.add(new_message("missing", "a"))


async def test_add_many_resolves_each_item_alone(stores, conv):
    await stores.messages.add(new_message(conv.id, "a", "orig", client_id="dup"))
    results = await stores.messages.add_many(
        [
            new_message(conv.id, "a", "first"),
            new_message("missing", "a", "nowhere"),
            new_message(conv.id, "a", "again", client_id="dup"),
            new_message(conv.id, "b", "last"),
        ]
    )
    assert [r[0].seq for r in (results[0], results[3])] == [2, 3]
    assert isinstance(results[1], NotFound)
    assert results[2][0].text == "orig" and results[2][1] is False
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert [m.text for m in page] == ["orig", "first", "last"]


async def test_concurrent_adds_get_distinct_increasing_seqs(stores, conv):
    results = await asyncio.gather(
        *(stores.messages.add(new_message(conv.id, "a", f"m{i}")) for i in range(30))
    )
    seqs = sorted(m.seq for m, _ in results)
    assert seqs == list(range(1, 31))
    assert sorted(m.rev for m, _ in results) == list(range(1, 31))


async def test_replace_takes_the_next_rev_and_refuses_a_stale_write(stores, conv):
    m, _ = await stores.messages.add(new_message(conv.id, "a", "draft"))
    await stores.messages.add(new_message(conv.id, "a", "other"))
    edited = await stores.messages.replace(
        replace(m, text="final", edited_at=at(9)), expected_rev=m.rev
    )
    assert (edited.text, edited.rev, edited.seq, edited.edited_at) == ("final", 3, 1, at(9))
    with pytest.raises(StaleWrite):
        await stores.messages.replace(replace(m, text="late"), expected_rev=m.rev)
    reacted = await stores.messages.replace(
        edited.with_reaction("👍", "b").with_reaction("🔥", "c").with_reaction("👍", "c"),
        expected_rev=3,
    )
    assert reacted.reactions_dict() == {"👍": ["b", "c"], "🔥": ["c"]}
    assert list(reacted.reactions_dict()) == ["👍", "🔥"]
    gone = await stores.messages.replace(reacted.tombstone(), expected_rev=reacted.rev)
    assert gone.deleted and gone.text == "" and gone.reactions == () and gone.rev == 5
    assert (await stores.conversations.get(conv.id)).rev == 5
    with pytest.raises(NotFound):
        await stores.messages.replace(replace(m, id="missing"), expected_rev=1)


async def test_pages_in_both_directions_with_has_more(stores, conv):
    for i in range(7):
        await stores.messages.add(new_message(conv.id, "a", f"m{i + 1}"))

    async def seqs(**kw):
        msgs, more = await stores.messages.page(conv.id, **kw)
        return [m.seq for m in msgs], more

    assert await seqs(before=None, after=None, limit=3) == ([5, 6, 7], True)
    assert await seqs(before=5, after=None, limit=3) == ([2, 3, 4], True)
    assert await seqs(before=3, after=None, limit=3) == ([1, 2], False)
    assert await seqs(before=None, after=0, limit=3) == ([1, 2, 3], True)
    assert await seqs(before=None, after=5, limit=3) == ([6, 7], False)
    assert await seqs(before=6, after=1, limit=3) == ([2, 3, 4], True)
    assert await seqs(before=6, after=1, limit=4) == ([2, 3, 4, 5], False)
    assert await seqs(before=None, after=None, limit=7) == ([1, 2, 3, 4, 5, 6, 7], False)
    assert await stores.messages.page("missing", before=None, after=None, limit=3) == ([], False)


async def test_changed_since_lists_every_change_after_a_rev_in_rev_order(stores, conv):
    m1, _ = await stores.messages.add(new_message(conv.id, "a", "one"))
    m2, _ = await stores.messages.add(new_message(conv.id, "a", "two"))
    await stores.messages.add(new_message(conv.id, "a", "three"))
    await stores.messages.replace(replace(m1, text="one!"), expected_rev=1)
    changed, more = await stores.messages.changed_since(conv.id, 1, 10)
    assert [(m.text, m.rev) for m in changed] == [("two", 2), ("three", 3), ("one!", 4)]
    assert not more
    changed, more = await stores.messages.changed_since(conv.id, 0, 2)
    assert [m.rev for m in changed] == [2, 3] and more


async def test_unread_counts_others_live_messages_above_a_seq(stores, conv):
    m1, _ = await stores.messages.add(new_message(conv.id, "a"))
    for sender in ("a", "b", "a"):
        await stores.messages.add(new_message(conv.id, sender))
    await stores.messages.replace(m1.tombstone(), expected_rev=m1.rev)
    assert await stores.messages.count_unread(conv.id, "b", 0) == 2
    assert await stores.messages.count_unread(conv.id, "b", 2) == 1
    assert await stores.messages.count_unread(conv.id, "a", 0) == 1


async def test_last_messages_are_the_highest_seq_of_each(stores, conv):
    other = group("a", "z")
    await stores.conversations.add(other)
    empty = group("a", "y")
    await stores.conversations.add(empty)
    await stores.messages.add(new_message(conv.id, "a", "old"))
    await stores.messages.add(new_message(conv.id, "a", "new"))
    await stores.messages.add(new_message(other.id, "a", "only"))
    last = await stores.messages.last_messages([conv.id, other.id, empty.id])
    assert {k: v.text for k, v in last.items()} == {conv.id: "new", other.id: "only"}


async def test_errors_are_the_projects_own(stores, conv):
    try:
        await stores.messages.replace(
            replace((await stores.messages.add(new_message(conv.id, "a")))[0], id="nope"),
            expected_rev=1,
        )
    except Exception as exc:
        assert isinstance(exc, EzChatError)


async def test_an_item_the_store_cannot_hold_fails_alone_and_its_batch_mates_are_written(
    stores, conv
):
    # The edge refuses lone surrogates; the store must still never let one poison a batch.
    bad_file = (Attachment("https://x/f", "f\ud800", "t/p", 1),)
    results = await stores.messages.add_many(
        [
            new_message(conv.id, "a", "one"),
            new_message(conv.id, "a", "bad \ud800"),
            new_message(conv.id, "b", "attached", attachments=bad_file),
            new_message(conv.id, "b", "two"),
        ]
    )
    assert [r[0].text for r in (results[0], results[3])] == ["one", "two"]
    for r in results[1:3]:  # refused, or (the memory store) kept as given
        assert isinstance(r, EzChatError) or r[1]
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert {"one", "two"} <= {m.text for m in page}


async def test_mentions_are_kept_and_counted_among_unread(stores, conv):
    for i, who in enumerate([("b",), ("b", "c"), (), ("c",)]):
        await stores.messages.add(replace(new_message(conv.id, "a", f"m{i}"), mentions=who))
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert [m.mentions for m in page] == [("b",), ("b", "c"), (), ("c",)]
    assert await stores.messages.count_mentions(conv.id, "b", 0) == 2
    assert await stores.messages.count_mentions(conv.id, "b", 1) == 1
    assert await stores.messages.count_mentions(conv.id, "c", 0) == 2
    assert await stores.messages.count_mentions(conv.id, "a", 0) == 0  # own messages
    edited = replace(page[0], mentions=("c",), text="changed")
    stored = await stores.messages.replace(edited, expected_rev=page[0].rev)
    assert (await stores.messages.get(conv.id, stored.id)).mentions == ("c",)
    assert await stores.messages.count_mentions(conv.id, "b", 0) == 1


async def test_a_client_id_reused_in_another_conversation_returns_the_original_there(stores, conv):
    """The service turns this into a 409; the store's part is to store nothing and say where
    the original is (on MongoDB the repeat is found through the unique index's refusal)."""
    other = group("a", "x")
    await stores.conversations.add(other)
    first, _ = await stores.messages.add(new_message(conv.id, "a", "here", client_id="k"))
    again, created = await stores.messages.add(new_message(other.id, "a", "there", client_id="k"))
    assert not created and again == first and again.conversation_id == conv.id
    page, _ = await stores.messages.page(other.id, before=None, after=None, limit=10)
    assert page == []
