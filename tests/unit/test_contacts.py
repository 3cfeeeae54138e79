import pytest

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
