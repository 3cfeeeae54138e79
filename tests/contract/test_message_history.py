"""Edit history on every store (issue 27, item 3): each edit keeps the text it replaced, in
the same write as the edit (a stale edit keeps nothing); deleting erases them; concurrent
edits keep exactly the texts of the edits that won."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.errors import StaleWrite
from ezchat.domain.messages import Version, replaced_text
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


@pytest.fixture
def conv(stores, io_loop):
    c = group("a", "b")
    io_loop.run_sync(lambda: stores.conversations.add(c))
    return c


async def test_edits_keep_what_they_replaced_and_a_delete_erases_it(stores, conv):
    m, _ = await stores.messages.add(new_message(conv.id, "a", "first", at_s=1))
    assert await stores.messages.history(conv.id, m.id) == []
    v2 = replace(m, text="second", edited_at=at(2))
    m2 = await stores.messages.replace(v2, expected_rev=m.rev, earlier=replaced_text(m, v2))
    v3 = replace(m2, text="third", edited_at=at(3))
    m3 = await stores.messages.replace(v3, expected_rev=m2.rev, earlier=replaced_text(m2, v3))
    assert await stores.messages.history(conv.id, m.id) == [
        Version("first", None),
        Version("second", at(2)),
    ]
    with pytest.raises(StaleWrite):  # a stale edit keeps nothing
        await stores.messages.replace(
            replace(m, text="late"), expected_rev=m.rev, earlier=Version("first", None)
        )
    reacted = await stores.messages.replace(m3.with_reaction("👍", "b"), expected_rev=m3.rev)
    assert len(await stores.messages.history(conv.id, m.id)) == 2  # a reaction keeps nothing
    await stores.messages.replace(reacted.tombstone(), expected_rev=reacted.rev)
    assert await stores.messages.history(conv.id, m.id) == []
    assert await stores.messages.history(conv.id, "nope") == []
    assert await stores.messages.history("other", m.id) == []


async def test_concurrent_edits_keep_the_winners_texts(stores, conv):
    m, _ = await stores.messages.add(new_message(conv.id, "a", "v0"))

    async def edit(text: str) -> str | None:
        current = await stores.messages.get(conv.id, m.id)
        assert current is not None
        new = replace(current, text=text, edited_at=at(5))
        try:
            await stores.messages.replace(
                new, expected_rev=current.rev, earlier=replaced_text(current, new)
            )
        except StaleWrite:
            return None
        return text

    won = [t for t in await asyncio.gather(*(edit(f"v{i}") for i in range(1, 6))) if t]
    assert won
    kept = [v.text for v in await stores.messages.history(conv.id, m.id)]
    final = (await stores.messages.get(conv.id, m.id)).text
    # Each winner replaced the text before it: the kept texts and the final one are the
    # original and the winners, each once.
    assert sorted([*kept, final]) == sorted(["v0", *won])
