"""Buffered read pointers: a read while their write is in flight sees them moved (before, it
saw the store's older pointers: a read pointer going back, caught by a loaded CI run)."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.adapters.forwarding import ForwardingConversationStore
from ezchat.adapters.memory import memory_stores
from ezchat.adapters.pointers import BufferedPointerStore
from ezchat.domain.model import PointerUpdate
from tests.contract.builders import group

pytestmark = pytest.mark.gen_test


async def pointers_of(store, conversation_id: str, user_id: str) -> tuple[int, int]:
    conv = await store.get(conversation_id)
    assert conv is not None
    m = conv.member(user_id)
    assert m is not None
    return m.read_seq, m.delivered_seq


class SlowWrites(ForwardingConversationStore):
    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.gate = asyncio.Event()

    async def advance_pointers_many(self, updates) -> None:
        await self.gate.wait()
        await self._inner.advance_pointers_many(updates)


async def test_a_read_during_the_flush_sees_the_moved_pointer():
    raw = memory_stores()
    conv = group("a", "b")
    await raw.conversations.add(conv)
    slow = SlowWrites(raw.conversations)
    pointers = BufferedPointerStore(slow, flush_s=60)
    await pointers.advance_pointers(PointerUpdate.of(conv.id, "b", read_seq=4, delivered_seq=4))
    flushing = asyncio.ensure_future(pointers.flush())
    await asyncio.sleep(0)  # the flush took the batch and waits on the store
    await pointers.advance_pointers(PointerUpdate.of(conv.id, "b", read_seq=0, delivered_seq=5))
    assert await pointers_of(pointers, conv.id, "b") == (4, 5)
    slow.gate.set()
    await flushing
    assert await pointers_of(pointers, conv.id, "b") == (4, 5)
    await pointers.flush()
    assert await pointers_of(raw.conversations, conv.id, "b") == (4, 5)
