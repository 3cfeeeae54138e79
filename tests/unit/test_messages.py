import pytest

from ezchat.domain.commands import DeleteMessage, EditMessage, React, SendMessage
from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import MessageChanged, MessagePosted, ReceiptMoved
from ezchat.domain.messages import Attachment

pytestmark = pytest.mark.gen_test


async def send(world, user, cid, text, client_id=None):
    message, _ = await world.messages.send(
        user.id, SendMessage(cid, client_id=client_id or text[:64], text=text)
    )
    return message


async def test_seq_and_rev_rise_with_every_message_and_change(world, trio):
    a, b, _, cid = await trio()
    m1 = await send(world, a, cid, "one")
    m2 = await send(world, b, cid, "two")
    assert (m1.seq, m1.rev, m2.seq, m2.rev) == (1, 1, 2, 2)
    edited = await world.messages.edit(a.id, EditMessage(cid, m1.id, "uno"))
    assert edited.rev == 3 and edited.seq == 1 and edited.edited_at is not None
    reacted = await world.messages.react(b.id, React(cid, m2.id, "👍", add=True))
    assert reacted.rev == 4
    view = await world.conversations.get(a.id, cid)
    assert (view.conversation.last_seq, view.conversation.rev) == (2, 4)


async def test_a_repeated_client_id_returns_the_original_and_emits_nothing(world, trio):
    a, _, _, cid = await trio()
    first, created = await world.messages.send(a.id, SendMessage(cid, client_id="k1", text="hello"))
    world.events.clear()
    again, created_again = await world.messages.send(
        a.id, SendMessage(cid, client_id="k1", text="hello?")
    )
    assert created and not created_again and again == first
    assert world.events.events == []
    page, _ = await world.messages.history(a.id, cid, before=None, after=None, limit=50)
    assert len(page) == 1


async def test_the_same_client_id_from_another_sender_is_another_message(world, trio):
    a, b, _, cid = await trio()
    m1, _ = await world.messages.send(a.id, SendMessage(cid, client_id="k", text="x"))
    m2, created = await world.messages.send(b.id, SendMessage(cid, client_id="k", text="y"))
    assert created and m1.id != m2.id


async def test_reusing_a_client_id_in_another_conversation_is_a_conflict(world, trio):
    a, b, _, cid = await trio()
    other, _ = await world.conversations.open_direct(a.id, b.id)
    await world.messages.send(a.id, SendMessage(cid, client_id="k", text="x"))
    with pytest.raises(Conflict):
        await world.messages.send(a.id, SendMessage(other.conversation.id, client_id="k", text="x"))


async def test_a_posted_message_reaches_every_member_including_the_sender(world, trio):
    a, b, c, cid = await trio()
    m = await send(world, a, cid, "hi all")
    posted = world.events.of(MessagePosted)[-1]
    assert posted.message == m and posted.recipients == {a.id, b.id, c.id}


@pytest.mark.parametrize(
    ("text", "attachments", "field"),
    [
        ("", None, "text"),
        ("   \n\t", None, "text"),
        ("x" * 4001, None, "text"),
        ("ok", [Attachment("ftp://x/y", "y", "text/plain", 1)], "attachments[0].url"),
        ("ok", [Attachment("https://x/y", "y", "nonsense", 1)], "attachments[0].mime_type"),
        ("ok", [Attachment("https://x/y", "y", "text/plain", -1)], "attachments[0].size"),
        ("ok", [Attachment("https://x/y", "y", "text/plain", 1)] * 11, "attachments"),
    ],
)
async def test_bad_message_content_is_refused_naming_the_field(
    world, trio, text, attachments, field
):
    a, _, _, cid = await trio()
    with pytest.raises(InvalidRequest) as err:
        await world.messages.send(
            a.id, SendMessage(cid, client_id="k", text=text, attachments=attachments)
        )
    assert err.value.field == field


async def test_a_message_of_only_attachments_is_allowed(world, trio):
    a, _, _, cid = await trio()
    files = [Attachment("https://cdn.example/x.png", "x.png", "image/png", 10)]
    m, _ = await world.messages.send(
        a.id, SendMessage(cid, client_id="k", text="  ", attachments=tuple(files))
    )
    assert m.text == "" and m.attachments == tuple(files)


async def test_text_of_exactly_the_limit_is_accepted(world, trio):
    a, _, _, cid = await trio()
    m = await send(world, a, cid, "é" * 4000)
    assert len(m.text) == 4000


async def test_replies_must_point_into_the_same_conversation(world, trio):
    a, b, _, cid = await trio()
    other, _ = await world.conversations.open_direct(a.id, b.id)
    elsewhere = await send(world, a, other.conversation.id, "elsewhere")
    original = await send(world, a, cid, "original")
    reply, _ = await world.messages.send(
        b.id, SendMessage(cid, client_id="r", text="re", reply_to=original.id)
    )
    assert reply.reply_to == original.id
    with pytest.raises(InvalidRequest):
        await world.messages.send(
            b.id, SendMessage(cid, client_id="r2", text="re", reply_to=elsewhere.id)
        )


async def test_only_the_sender_edits_and_not_after_a_delete(world, trio):
    a, b, _, cid = await trio()
    m = await send(world, a, cid, "mine")
    with pytest.raises(Forbidden):
        await world.messages.edit(b.id, EditMessage(cid, m.id, "hijack"))
    await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    with pytest.raises(Conflict):
        await world.messages.edit(a.id, EditMessage(cid, m.id, "too late"))


async def test_a_deleted_message_keeps_its_place_and_loses_its_content(world, trio):
    a, b, _, cid = await trio()
    files = [Attachment("https://cdn.example/x.png", "x.png", "image/png", 10)]
    m, _ = await world.messages.send(
        a.id, SendMessage(cid, client_id="k", text="secret", attachments=tuple(files))
    )
    await world.messages.react(b.id, React(cid, m.id, "🔥", add=True))
    gone = await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    assert (gone.id, gone.seq, gone.sender_id, gone.created_at) == (
        m.id,
        m.seq,
        m.sender_id,
        m.created_at,
    )
    assert (gone.text, gone.attachments, gone.reactions, gone.deleted) == ("", (), (), True)
    assert world.events.of(MessageChanged)[-1].change == "deleted"
    again = await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    assert again.rev == gone.rev


async def test_group_admins_may_delete_others_messages_members_may_not(world, trio):
    a, b, c, cid = await trio()
    m = await send(world, b, cid, "bob's")
    with pytest.raises(Forbidden):
        await world.messages.delete(c.id, DeleteMessage(cid, m.id))
    assert (await world.messages.delete(a.id, DeleteMessage(cid, m.id))).deleted


async def test_reactions_add_and_remove_per_user_and_are_idempotent(world, trio):
    a, b, c, cid = await trio()
    m = await send(world, a, cid, "react to me")
    await world.messages.react(b.id, React(cid, m.id, "👍", add=True))
    m2 = await world.messages.react(c.id, React(cid, m.id, "👍", add=True))
    same = await world.messages.react(c.id, React(cid, m.id, "👍", add=True))
    assert m2.reactions_dict() == {"👍": [b.id, c.id]} and same.rev == m2.rev
    m3 = await world.messages.react(b.id, React(cid, m.id, "👍", add=False))
    assert m3.reactions_dict() == {"👍": [c.id]}
    m4 = await world.messages.react(c.id, React(cid, m.id, "👍", add=False))
    assert m4.reactions_dict() == {}


async def test_unknown_messages_are_not_found(world, trio):
    a, _, _, cid = await trio()
    with pytest.raises(NotFound):
        await world.messages.edit(a.id, EditMessage(cid, "missing", "x"))


async def test_history_pages_back_and_forward_with_has_more(world, trio):
    a, _, _, cid = await trio()
    for i in range(1, 8):
        await send(world, a, cid, f"m{i}")

    async def page(**kw):
        msgs, more = await world.messages.history(a.id, cid, **kw)
        return [m.seq for m in msgs], more

    assert await page(before=None, after=None, limit=3) == ([5, 6, 7], True)
    assert await page(before=5, after=None, limit=3) == ([2, 3, 4], True)
    assert await page(before=2, after=None, limit=3) == ([1], False)
    assert await page(before=None, after=0, limit=3) == ([1, 2, 3], True)
    assert await page(before=None, after=4, limit=3) == ([5, 6, 7], False)
    assert await page(before=None, after=7, limit=3) == ([], False)
    assert await page(before=None, after=None, limit=7) == ([1, 2, 3, 4, 5, 6, 7], False)
    assert await page(before=6, after=2, limit=2) == ([3, 4], True)


async def test_read_pointers_only_move_forward_and_clamp_to_the_last_message(world, trio):
    a, b, _, cid = await trio()
    for i in range(3):
        await send(world, a, cid, f"m{i}")
    assert (await world.messages.mark_read(b.id, cid, 99)).read_seq == 3
    assert (await world.messages.mark_read(b.id, cid, 1)).read_seq == 3
    receipts = {r.user_id: r for r in await world.messages.receipts(a.id, cid)}
    assert (receipts[b.id].read_seq, receipts[b.id].delivered_seq) == (3, 3)
    moved = world.events.of(ReceiptMoved)
    assert len(moved) == 1 and moved[0].read_seq == 3


async def test_unread_counts_only_others_live_messages_above_the_read_pointer(world, trio):
    a, b, _, cid = await trio()
    m1 = await send(world, a, cid, "one")
    await send(world, a, cid, "two")
    await send(world, b, cid, "mine")
    await send(world, a, cid, "three")
    await world.messages.delete(a.id, DeleteMessage(cid, m1.id))
    assert (await world.conversations.get(b.id, cid)).unread_count == 2
    await world.messages.mark_read(b.id, cid, 2)
    assert (await world.conversations.get(b.id, cid)).unread_count == 1


async def test_blocking_stops_sending_in_the_direct_conversation(world):
    a, b = await world.user("alice"), await world.user("bob")
    view, _ = await world.conversations.open_direct(a.id, b.id)
    cid = view.conversation.id
    await send(world, a, cid, "before")
    await world.contacts.block(b.id, a.id)
    with pytest.raises(Forbidden):
        await world.messages.send(a.id, SendMessage(cid, client_id="after", text="after"))
    with pytest.raises(Forbidden):
        await world.messages.send(b.id, SendMessage(cid, client_id="after", text="after"))


async def test_sync_returns_changes_after_a_rev_in_rev_order(world, trio):
    a, b, _, cid = await trio()
    m1 = await send(world, a, cid, "one")
    await send(world, a, cid, "two")
    await world.messages.edit(a.id, EditMessage(cid, m1.id, "one!"))
    changed, more, rev = await world.messages.changed_since(b.id, cid, 1, 10)
    assert [(m.text, m.rev) for m in changed] == [("two", 2), ("one!", 3)]
    assert not more and rev == 3
    changed, more, _ = await world.messages.changed_since(b.id, cid, 0, 1)
    assert len(changed) == 1 and more


async def test_a_send_whose_write_is_retried_after_a_timeout_still_counts_as_new(tmp_path):
    """A write that reached the store but whose answer was lost (a MongoDB write-concern
    timeout, say) is retried by the storage guard and then finds the message it wrote: the
    send is still the one that created it, so it is announced and answered as new."""
    from dataclasses import replace as swap

    from ezchat.adapters.forwarding import ForwardingMessageStore
    from ezchat.adapters.memory import memory_stores
    from ezchat.domain.errors import TransientStorageError
    from tests.support import World

    class AnswerLost(ForwardingMessageStore):
        failed = False

        async def add_many(self, news):
            results = await self._inner.add_many(news)
            if not AnswerLost.failed:
                AnswerLost.failed = True
                raise TransientStorageError("write concern timed out")
            return results

    stores = memory_stores()
    stores = swap(stores, messages=AnswerLost(stores.messages))
    world = World(tmp_path, stores=stores)
    await world.app.start()
    try:
        a, b = await world.user("alice"), await world.user("bob")
        view = await world.conversations.create_group(a.id, name="t", member_ids=[b.id])
        world.events.clear()
        message, created = await world.messages.send(
            a.id, SendMessage(view.conversation.id, client_id="k", text="once")
        )
        assert AnswerLost.failed and created
        assert [e.message.id for e in world.events.of(MessagePosted)] == [message.id]
        world.clock.advance(1)
        again, created = await world.messages.send(
            a.id, SendMessage(view.conversation.id, client_id="k", text="once")
        )
        assert again == message and not created  # a client's own repeat is still a repeat
    finally:
        await world.app.aclose()
