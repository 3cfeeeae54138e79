import asyncio

import pytest

from ezchat.domain.model import Contact, ContactPair, ContactState
from tests.contract.builders import at

pytestmark = pytest.mark.gen_test

OUT, IN, ACC, BLK = (
    ContactState.OUTGOING,
    ContactState.INCOMING,
    ContactState.ACCEPTED,
    ContactState.BLOCKED,
)
NONE = ContactPair()


def side(owner, user, state, t):
    return Contact(owner, user, state, at(t))


async def test_both_sides_of_a_pair_are_written_and_read_together(stores):
    c = stores.contacts
    request = ContactPair(side("a", "b", OUT, 1), side("b", "a", IN, 1))
    assert await c.swap_pair("a", "b", expected=NONE, new=request)
    assert await c.pair("a", "b") == request
    assert await c.pair("b", "a") == ContactPair(request.theirs, request.mine)
    assert await c.get("b", "a") == side("b", "a", IN, 1)
    accepted = ContactPair(side("b", "a", ACC, 2), side("a", "b", ACC, 2))
    assert await c.swap_pair(
        "b", "a", expected=ContactPair(request.theirs, request.mine), new=accepted
    )
    assert await c.get("a", "b") == side("a", "b", ACC, 2)


async def test_a_swap_from_a_stale_read_writes_nothing(stores):
    c = stores.contacts
    request = ContactPair(side("a", "b", OUT, 1), side("b", "a", IN, 1))
    assert await c.swap_pair("a", "b", expected=NONE, new=request)
    # A second writer that read the pair empty loses, and changes nothing.
    block = ContactPair(side("a", "b", BLK, 2), None)
    assert not await c.swap_pair("a", "b", expected=NONE, new=block)
    assert await c.pair("a", "b") == request
    assert await c.swap_pair("a", "b", expected=request, new=block)
    assert await c.pair("a", "b") == block
    assert not await c.swap_pair("a", "b", expected=request, new=NONE)


async def test_of_writers_racing_on_an_empty_pair_exactly_one_wins(stores):
    c = stores.contacts
    tries = [ContactPair(side("a", "b", OUT, i), side("b", "a", IN, i)) for i in range(1, 6)]
    won = await asyncio.gather(*(c.swap_pair("a", "b", expected=NONE, new=t) for t in tries))
    assert sum(won) == 1
    assert await c.pair("a", "b") == tries[won.index(True)]


async def test_lists_are_per_owner_oldest_first_and_removed_sides_are_gone(stores):
    c = stores.contacts
    await c.swap_pair(
        "a", "b", expected=NONE, new=ContactPair(side("a", "b", OUT, 3), side("b", "a", IN, 3))
    )
    await c.swap_pair("a", "c", expected=NONE, new=ContactPair(side("a", "c", BLK, 2), None))
    assert [x.user_id for x in await c.list("a")] == ["c", "b"]
    assert [x.state for x in await c.list("b")] == [IN]
    assert await c.list("c") == []
    await c.swap_pair("a", "c", expected=ContactPair(side("a", "c", BLK, 2), None), new=NONE)
    assert [x.user_id for x in await c.list("a")] == ["b"]
    assert await c.get("a", "c") is None
    # Emptied, the pair can be taken again from nothing.
    assert await c.swap_pair("c", "a", expected=NONE, new=ContactPair(side("c", "a", BLK, 4)))
    assert await c.get("c", "a") == side("c", "a", BLK, 4)
