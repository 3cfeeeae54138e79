"""Pins on every store: the pin is part of the message, the pinned list comes latest pinned
first, the count follows, and a conversation's pin count and pin setting are written alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


async def test_pinned_messages_come_latest_pinned_first_and_deleting_unpins(stores):
    conv = group("a", "b")
    await stores.conversations.add(conv)
    made = [(await stores.messages.add(new_message(conv.id, "a", f"m{i}")))[0] for i in range(4)]
    for i, m in enumerate(made[:3]):
        stored = await stores.messages.replace(
            replace(m, pinned_at=at(10 - i), pinned_by="b"), expected_rev=m.rev
        )
        assert (stored.pinned_at, stored.pinned_by) == (at(10 - i), "b")
    assert [m.text for m in await stores.pins.pinned(conv.id, 50)] == ["m0", "m1", "m2"]
    assert [m.text for m in await stores.pins.pinned(conv.id, 2)] == ["m0", "m1"]
    assert await stores.pins.count(conv.id) == 3
    first = await stores.messages.get(conv.id, made[0].id)
    assert first.pinned_at == at(10)
    gone = await stores.messages.replace(first.tombstone(), expected_rev=first.rev)
    assert gone.pinned_at is None and gone.pinned_by is None
    edited = await stores.messages.get(conv.id, made[1].id)
    kept = await stores.messages.replace(replace(edited, text="new"), expected_rev=edited.rev)
    assert kept.pinned_at == at(9)  # an edit keeps the pin
    assert await stores.pins.count(conv.id) == 2
    assert await stores.pins.count("nowhere") == 0


async def test_the_pin_count_and_the_pin_setting_are_written_without_touching_the_rest(stores):
    conv = group("a", "b", name="team")
    await stores.conversations.add(conv)
    assert (await stores.conversations.get(conv.id)).pin_count == 0
    renamed = replace(conv, name="crew", members_can_pin=True, pin_count=99)
    got = await stores.conversations.update_info(renamed)
    assert (got.name, got.members_can_pin, got.pin_count) == ("crew", True, 0)
    got = await stores.conversations.set_pin_count(conv.id, 7)
    assert (got.name, got.members_can_pin, got.pin_count) == ("crew", True, 7)
    assert (await stores.conversations.get(conv.id)).pin_count == 7
    # Both at once: neither undoes the other.
    await asyncio.gather(
        stores.conversations.set_pin_count(conv.id, 8),
        stores.conversations.update_info(replace(got, name="band", members_can_pin=False)),
    )
    final = await stores.conversations.get(conv.id)
    assert (final.name, final.members_can_pin, final.pin_count) == ("band", False, 8)
