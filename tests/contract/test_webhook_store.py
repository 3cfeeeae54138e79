"""Event webhooks' deliveries and incoming webhooks on every store: recorded once, in order,
one at a time per webhook and group, leased by one claimer, settled only by the lease holder,
pruned when delivered and old."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain.webhooks import Delivery, DeliveryState, IncomingHook, Webhook

pytestmark = pytest.mark.gen_test


def hook(hook_id: str = "w1", t: float = 0.0) -> Webhook:
    return Webhook(hook_id, "https://app.example/hook", ("*",), "s" * 20, t)


def delivery(event: str, group: str = "c1", webhook: str = "w1", at: float = 10.0) -> Delivery:
    return Delivery(
        webhook_id=webhook,
        event_id=event,
        event_type="message.new",
        group=group,
        body=f'{{"id":"{event}"}}',
        created_at=at,
        next_at=at,
    )


async def test_webhooks_are_kept_listed_and_removed_with_their_deliveries(stores):
    s = stores.webhooks
    await s.add(hook("w1", 1))
    await s.add(hook("w2", 2))
    assert [w.id for w in await s.all()] == ["w1", "w2"]
    assert (await s.all())[0].events == ("*",)
    await s.record([delivery("e1"), delivery("e1", webhook="w2")])
    assert await s.remove("w1")
    assert not await s.remove("w1")
    assert [w.id for w in await s.all()] == ["w2"]
    assert await s.deliveries("w1", 10) == []
    assert [d.event_id for d in await s.deliveries("w2", 10)] == ["e1"]
    # Deliveries for a webhook that is gone are not recorded.
    await s.record([delivery("e2", webhook="w1")])
    assert await s.deliveries("w1", 10) == []


async def test_recording_again_changes_nothing_and_order_is_kept(stores):
    s = stores.webhooks
    await s.add(hook())
    await s.record([delivery("e1"), delivery("e2"), delivery("e3", group="c2")])
    await s.record([delivery("e1"), delivery("e4")])
    listed = await s.deliveries("w1", 10)
    assert [d.event_id for d in listed] == ["e4", "e3", "e2", "e1"]  # newest first
    positions = [d.position for d in reversed(listed)]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert await s.deliveries("w1", 2) == listed[:2]


async def test_only_the_first_pending_of_a_group_is_claimable(stores):
    s = stores.webhooks
    await s.add(hook())
    await s.record([delivery("a1"), delivery("a2"), delivery("b1", group="c2")])
    heads = await s.claimable(now=20.0, limit=10)
    assert [d.event_id for d in heads] == ["a1", "b1"]
    assert await s.claimable(now=5.0, limit=10) == []  # not due yet
    a1 = await s.lease(heads[0], until=50.0, token="t1")
    assert a1 is not None and a1.lease_token == "t1"
    assert await s.lease(heads[0], until=50.0, token="t2") is None  # taken already
    # While a1 is out, nothing else of c1 goes; c2 still does.
    assert [d.event_id for d in await s.claimable(now=20.0, limit=10)] == ["b1"]
    # Its lease runs out: claimable again, by whoever takes it next.
    again = await s.claimable(now=60.0, limit=10)
    assert [d.event_id for d in again] == ["a1", "b1"]
    retaken = await s.lease(again[0], until=100.0, token="t3")
    assert retaken is not None
    # The first holder's late outcome is refused; the holder's is kept.
    late = replace(a1, state=DeliveryState.DELIVERED, attempts=1, finished_at=61.0)
    assert not await s.settle(late)
    failed = replace(retaken, attempts=1, next_at=80.0, last_status=500, last_error="HTTP 500")
    assert await s.settle(failed)
    # Backing off: the group waits for it (a2 is not claimable before a1).
    assert [d.event_id for d in await s.claimable(now=70.0, limit=10)] == ["b1"]
    due = await s.claimable(now=81.0, limit=10)
    assert [d.event_id for d in due] == ["a1", "b1"]
    assert due[0].attempts == 1 and due[0].last_error == "HTTP 500" and due[0].lease_token is None
    done = await s.lease(due[0], until=120.0, token="t4")
    assert done is not None
    assert await s.settle(replace(done, state=DeliveryState.DEAD, attempts=2, finished_at=90.0))
    assert [d.event_id for d in await s.claimable(now=91.0, limit=10)] == ["a2", "b1"]
    assert [d.event_id for d in await s.claimable(now=91.0, limit=1)] == ["a2"]


async def test_two_claimers_never_both_hold_one_delivery(stores):
    s = stores.webhooks
    await s.add(hook())
    await s.record([delivery(f"e{i}", group=f"c{i}") for i in range(20)])

    async def claimer(name: str) -> list[str]:
        got = []
        for d in await s.claimable(now=20.0, limit=50):
            leased = await s.lease(d, until=100.0, token=f"{name}-{d.event_id}")
            if leased is not None:
                got.append(d.event_id)
        return got

    first, second = await asyncio.gather(claimer("a"), claimer("b"))
    assert not set(first) & set(second)
    assert sorted(first + second, key=lambda e: int(e[1:])) == [f"e{i}" for i in range(20)]


async def test_delivered_ones_are_pruned_when_old(stores):
    s = stores.webhooks
    await s.add(hook())
    await s.record([delivery("e1"), delivery("e2", group="c2"), delivery("e3", group="c3")])
    heads = await s.claimable(now=20.0, limit=10)
    for d, finished in zip(heads[:2], (30.0, 50.0), strict=True):
        leased = await s.lease(d, until=100.0, token="t")
        assert leased is not None
        assert await s.settle(replace(leased, state=DeliveryState.DELIVERED, finished_at=finished))
    assert await s.prune(before=40.0) == 1
    assert sorted(d.event_id for d in await s.deliveries("w1", 10)) == ["e2", "e3"]


async def test_incoming_hooks_by_token_and_conversation(stores):
    s = stores.incoming_hooks
    h1 = IncomingHook("h1", "c1", "CI", "hash1", "bot1", "u1", 1.0)
    h2 = IncomingHook("h2", "c1", "Alerts", "hash2", "bot2", None, 2.0)
    await s.add(h1)
    await s.add(h2)
    assert await s.by_token_hash("hash2") == h2
    assert await s.by_token_hash("nope") is None
    assert await s.for_conversation("c1") == [h1, h2]
    assert await s.for_conversation("c2") == []
    assert await s.remove("h1") == h1
    assert await s.remove("h1") is None
    assert await s.by_token_hash("hash1") is None
