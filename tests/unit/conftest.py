"""Fixtures of the unit tests that use the real services (``world``, in tests/conftest.py)."""

import pytest


@pytest.fixture
def trio(world):
    """``await trio()``: alice, bob and carol, and a group of the three (its id)."""

    async def make():
        a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
        view = await world.conversations.create_group(a.id, name="t", member_ids=[b.id, c.id])
        return a, b, c, view.conversation.id

    return make
