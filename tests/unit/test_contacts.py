import pytest

from ezchat.domain.commands import DeleteMessage, EditMessage, React, SendMessage
from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.model import ContactState

pytestmark = pytest.mark.gen_test


async def states(world, owner):
    return {u.username: c.state for c, u in await world.contacts.list(owner.id)}


async def test_a_request_is_outgoing_for_one_and_incoming_for_the_other(world):
    a, b = await world.user("alice"), await world.user("bob")
    contact, _, created = await world.contacts.request(a.id, b.id)
    assert created and contact.state is ContactState.OUTGOING
    assert await states(world, a) == {"bob": ContactState.OUTGOING}
    assert await states(world, b) == {"alice": ContactState.INCOMING}


async def test_asking_back_accepts_on_both_sides(world):
    a, b = await world.user("alice"), await world.user("bob")
    await world.contacts.request(a.id, b.id)
    contact, _, created = await world.contacts.request(b.id, a.id)
    assert not created and contact.state is ContactState.ACCEPTED
    assert await states(world, a) == {"bob": ContactState.ACCEPTED}


async def test_accept_needs_an_incoming_request(world):
    a, b = await world.user("alice"), await world.user("bob")
    with pytest.raises(NotFound):
        await world.contacts.accept(a.id, b.id)
    await world.contacts.request(a.id, b.id)
    with pytest.raises(NotFound):
        await world.contacts.accept(a.id, b.id)  # alice asked; only bob can accept
    contact, _ = await world.contacts.accept(b.id, a.id)
    assert contact.state is ContactState.ACCEPTED


async def test_blocking_ends_the_relation_on_both_sides(world):
    a, b = await world.user("alice"), await world.user("bob")
    await world.contacts.request(a.id, b.id)
    await world.contacts.accept(b.id, a.id)
    await world.contacts.block(a.id, b.id)
    assert await states(world, a) == {"bob": ContactState.BLOCKED}
    assert await states(world, b) == {}
    with pytest.raises(Forbidden):
        await world.contacts.request(b.id, a.id)
    with pytest.raises(Conflict):
        await world.contacts.request(a.id, b.id)


async def test_removing_a_block_lifts_it(world):
    a, b = await world.user("alice"), await world.user("bob")
    await world.contacts.block(a.id, b.id)
    await world.contacts.remove(a.id, b.id)
    assert await states(world, a) == {}
    _, _, created = await world.contacts.request(b.id, a.id)
    assert created


async def test_removing_a_contact_removes_it_for_both(world):
    a, b = await world.user("alice"), await world.user("bob")
    await world.contacts.request(a.id, b.id)
    await world.contacts.request(b.id, a.id)
    await world.contacts.remove(b.id, a.id)
    assert await states(world, a) == {} and await states(world, b) == {}
    with pytest.raises(NotFound):
        await world.contacts.remove(b.id, a.id)


async def test_self_and_unknown_users_cannot_be_contacts(world):
    a = await world.user("alice")
    with pytest.raises(InvalidRequest):
        await world.contacts.request(a.id, a.id)
    with pytest.raises(NotFound):
        await world.contacts.request(a.id, "nobody")


@pytest.mark.parametrize("blocker", ["victim", "sender"])
async def test_a_block_silences_edits_reactions_and_typing_not_only_sends(world, blocker):
    p, q = await world.user("pat"), await world.user("quinn")
    view, _ = await world.conversations.open_direct(p.id, q.id)
    cid = view.conversation.id
    old, _ = await world.messages.send(
        p.id, SendMessage(cid, client_id="c1", text="before the block")
    )
    if blocker == "victim":
        await world.contacts.block(q.id, p.id)
    else:
        await world.contacts.block(p.id, q.id)
    world.events.clear()
    for attempt in (
        world.messages.edit(p.id, EditMessage(cid, old.id, "changed after the block")),
        world.messages.react(p.id, React(cid, old.id, "👍", add=True)),
        world.typing.typing(p.id, cid, True),
        world.messages.send(p.id, SendMessage(cid, client_id="c2", text="after")),
    ):
        with pytest.raises(Forbidden):
            await attempt
    assert world.events.events == []
    # Taking back one's own words stays possible.
    deleted = await world.messages.delete(p.id, DeleteMessage(cid, old.id))
    assert deleted.deleted


async def test_a_message_takes_a_bounded_number_of_different_reactions(world):
    from ezchat.domain.rules import MAX_REACTIONS

    a = await world.user("alice")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[])
    cid = view.conversation.id
    m, _ = await world.messages.send(a.id, SendMessage(cid, client_id="c", text="hi"))
    for i in range(MAX_REACTIONS):
        world.clock.advance(1)  # within the sender's rate
        await world.messages.react(a.id, React(cid, m.id, f"e{i}", add=True))
    with pytest.raises(Conflict):
        await world.messages.react(a.id, React(cid, m.id, "one too many", add=True))
    # Taking one back and giving an existing one is still fine.
    await world.messages.react(a.id, React(cid, m.id, "e0", add=False))
    await world.messages.react(a.id, React(cid, m.id, "e1", add=True))
