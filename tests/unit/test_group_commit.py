"""Group commit over the memory store: batching, isolation of bad items, outages, shutdown."""

import asyncio

import pytest

from ezchat.adapters.batching import GroupCommitMessageStore
from ezchat.adapters.memory import memory_stores
from ezchat.domain.errors import NotFound, StorageUnavailable, TransientStorageError
from tests.contract.builders import group, new_message

pytestmark = pytest.mark.gen_test


class Recording:
    """The memory message store, counting add_many calls; can be told to fail whole writes."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: list[int] = []
        self.down = False

    async def add_many(self, news):
        self.calls.append(len(news))
        if self.down:
            raise StorageUnavailable("disk on fire")
        return await self.inner.add_many(news)

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def setup(max_batch=64, delay=0.005):
    stores = memory_stores()
    conv = group("a", "b")
    await stores.conversations.add(conv)
    inner = Recording(stores.messages)
    batcher = GroupCommitMessageStore(inner, max_batch=max_batch, max_delay_s=delay)
    await batcher.start()
    return stores, conv, inner, batcher


async def test_sends_arriving_together_are_written_in_one_batch():
    stores, conv, inner, batcher = await setup()
    results = await asyncio.gather(
        *(batcher.add(new_message(conv.id, "a", f"m{i}")) for i in range(20))
    )
    assert inner.calls == [20]
    assert [m.seq for m, _ in results] == list(range(1, 21))
    await batcher.aclose()


async def test_batches_are_capped_at_the_batch_size():
    stores, conv, inner, batcher = await setup(max_batch=8)
    await asyncio.gather(*(batcher.add(new_message(conv.id, "a", f"m{i}")) for i in range(20)))
    assert inner.calls == [8, 8, 4]
    await batcher.aclose()


async def test_a_failing_item_neither_blocks_nor_loses_its_batch_mates():
    stores, conv, inner, batcher = await setup()
    await stores.messages.add(new_message(conv.id, "a", "original", client_id="dup"))
    sends = [
        batcher.add(new_message(conv.id, "a", "one")),
        batcher.add(new_message("no-such-conversation", "a", "lost?")),
        batcher.add(new_message(conv.id, "a", "retry", client_id="dup")),
        batcher.add(new_message(conv.id, "b", "two")),
    ]
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert inner.calls == [4]
    assert isinstance(results[1], NotFound)
    retried = results[2]
    assert not isinstance(retried, BaseException)
    assert retried[0].text == "original" and retried[1] is False
    assert [r[0].text for r in (results[0], results[3]) if not isinstance(r, BaseException)] == [
        "one",
        "two",
    ]
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert [m.text for m in page] == ["original", "one", "two"]
    await batcher.aclose()


async def test_an_outage_fails_the_whole_batch_unacknowledged_and_the_next_batch_works():
    stores, conv, inner, batcher = await setup()
    inner.down = True
    results = await asyncio.gather(
        *(batcher.add(new_message(conv.id, "a", f"m{i}", client_id=f"k{i}")) for i in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(r, StorageUnavailable) for r in results)
    inner.down = False
    retried = await asyncio.gather(
        *(batcher.add(new_message(conv.id, "a", f"m{i}", client_id=f"k{i}")) for i in range(3))
    )
    assert [m.seq for m, created in retried if created] == [1, 2, 3]
    await batcher.aclose()


async def test_shutdown_writes_everything_queued_and_then_refuses():
    stores, conv, inner, batcher = await setup(delay=0.05)
    pending = [
        asyncio.ensure_future(batcher.add(new_message(conv.id, "a", f"m{i}"))) for i in range(5)
    ]
    await asyncio.sleep(0)  # queued, not yet written
    await batcher.aclose()
    assert all(p.done() and not p.exception() for p in pending)
    assert (await stores.conversations.get(conv.id)).last_seq == 5
    with pytest.raises(StorageUnavailable):
        await batcher.add(new_message(conv.id, "a", "late"))


class Poisoned(Recording):
    """A store whose whole write fails when any message of it is 'poison' (a driver that
    refuses the batch for one document, as BSON encoding does)."""

    async def add_many(self, news):
        self.calls.append(len(news))
        if any(n.text == "poison" for n in news):
            raise ValueError("cannot encode")
        return await self.inner.add_many(news)


async def test_one_senders_poison_never_fails_the_others_sharing_its_batch():
    stores = memory_stores()
    conv = group("a", "b")
    await stores.conversations.add(conv)
    inner = Poisoned(stores.messages)
    batcher = GroupCommitMessageStore(inner, max_batch=64, max_delay_s=0.005)
    await batcher.start()
    sends = [batcher.add(new_message(conv.id, "a", f"m{i}")) for i in range(3)]
    sends.insert(1, batcher.add(new_message(conv.id, "b", "poison")))
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert isinstance(results[1], StorageUnavailable)
    assert [
        r[0].text for i, r in enumerate(results) if i != 1 and not isinstance(r, BaseException)
    ] == ["m0", "m1", "m2"]
    assert inner.calls == [4, 1, 1, 1, 1]
    await batcher.aclose()


async def test_an_outage_is_not_retried_message_by_message():
    stores, conv, inner, batcher = await setup()

    async def unreachable(news):
        inner.calls.append(len(news))
        raise StorageUnavailable("down") from TransientStorageError("connection refused")

    inner.add_many = unreachable
    results = await asyncio.gather(
        *(batcher.add(new_message(conv.id, "a", f"m{i}")) for i in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(r, StorageUnavailable) for r in results)
    assert inner.calls == [3]
    await batcher.aclose()
