"""The webhook service's own rules, on the memory store with a fake clock and a scripted
sender: a turn's events in one write, new messages in seq order, the outcome of each attempt
(delivered, retried with growing delays, dead after the last attempt or at once when refused),
and one read of the webhook list for everyone who finds it stale."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.adapters.memory.webhooks import MemoryWebhookStore
from ezchat.domain import webhooks
from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.webhooks import Delivery, DeliveryState, Webhook, WebhookEvent
from ezchat.ports.webhooks import Sent
from ezchat.services.webhooks import WebhookPolicy, WebhookService, in_order
from tests.support import FakeClock

pytestmark = pytest.mark.gen_test


class Scripted:
    def __init__(self, *answers: Sent) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    async def send(self, webhook: Webhook, delivery: Delivery) -> Sent:
        self.sent.append(delivery.event_id)
        return self.answers.pop(0) if self.answers else Sent(200)

    def close(self) -> None:
        return None


class Counting(MemoryWebhookStore):
    def __init__(self) -> None:
        super().__init__(MemoryDatabase())
        self.records = 0
        self.reads = 0
        self.fail = False

    async def record(self, deliveries: list[Delivery]) -> None:
        self.records += 1
        if self.fail:
            raise StorageUnavailable("down")
        await super().record(deliveries)

    async def all(self) -> list[Webhook]:
        self.reads += 1
        await asyncio.sleep(0)
        return await super().all()


def event(i: int, group: str = "c1", kind: str = "message.new", seq: int = 0) -> WebhookEvent:
    return WebhookEvent(f"e{i}", kind, group, "{}", seq)


def service(store: Counting, sender: Scripted, clock: FakeClock, **policy) -> WebhookService:
    p = WebhookPolicy(allow_private=True, retry_base_s=1.0, retry_cap_s=8.0, **policy)
    return WebhookService(store=store, clock=clock, policy=p, sender=sender)


async def test_one_turns_events_are_one_write_and_failures_reach_every_waiter():
    store, clock = Counting(), FakeClock()
    s = service(store, Scripted(), clock)
    await s.create("http://127.0.0.1:9/h", ["*"], None)
    await asyncio.gather(*(s.record([event(i, group=f"c{i}")]) for i in range(10)))
    assert store.records == 1
    assert len(await store.deliveries((await store.all())[0].id, 50)) == 10
    store.fail = True
    results = await asyncio.gather(
        *(s.record([event(i + 10)]) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, StorageUnavailable) for r in results)
    assert s.lost == 3


async def test_no_webhook_no_write_and_one_read_for_all_who_find_the_list_stale():
    store, clock = Counting(), FakeClock()
    s = service(store, Scripted(), clock)
    await asyncio.gather(*(s.record([event(i)]) for i in range(20)))
    assert store.records == 0 and store.reads == 1
    await asyncio.gather(*(s.wants("message.new") for _ in range(20)))
    assert store.reads == 1  # fresh for refresh_s
    clock.advance(2)
    await asyncio.gather(*(s.wants("message.new") for _ in range(20)))
    assert store.reads == 2


async def test_attempts_retry_with_growing_delays_then_die():
    store, clock = Counting(), FakeClock()
    sender = Scripted(Sent(500, "HTTP 500"), Sent(None, "timed out"), Sent(503, "HTTP 503"))
    s = service(store, sender, clock, max_attempts=3)
    hook = await s.create("http://127.0.0.1:9/h", ["message.new"], None)
    await s.record([event(1)])
    waits = []
    for expected in ("retry", "retry", "dead"):
        now = clock.now().timestamp()
        (claimed,) = await s.claim(10)
        assert await s.deliver(claimed) == expected
        (kept,) = await store.deliveries(hook.id, 1)
        waits.append(kept.next_at - now)
        clock.advance(30)
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0  # base x 2^n, half jittered
    assert kept.state is DeliveryState.DEAD and kept.attempts == 3
    assert kept.last_status == 503 and kept.last_error == "HTTP 503"
    assert await s.claim(10) == []


async def test_a_refused_address_is_dead_at_once_and_the_next_goes():
    store, clock = Counting(), FakeClock()
    s = service(store, Scripted(Sent(None, "refused", refused=True)), clock)
    await s.create("http://127.0.0.1:9/h", ["*"], None)
    await s.record([event(1), event(2)])
    (first,) = await s.claim(10)
    assert first.event_id == "e1" and await s.deliver(first) == "dead"
    (second,) = await s.claim(10)
    assert second.event_id == "e2" and await s.deliver(second) == "delivered"


@given(st.lists(st.tuples(st.sampled_from(["c1", "c2"]), st.booleans()), max_size=30))
def test_in_order_sorts_each_conversations_new_messages_and_moves_nothing_else(spec):
    seqs = list(range(len(spec)))
    events = [
        event(i, group=g, kind="message.new" if new else "member.added", seq=-seqs[i])
        for i, (g, new) in enumerate(spec)
    ]
    out = in_order(events)
    assert sorted(e.id for e in out) == sorted(e.id for e in events)
    for i, e in enumerate(events):
        if e.type != "message.new":
            assert out[i] is e
    for g in ("c1", "c2"):
        news = [e.seq for e in out if e.group == g and e.type == "message.new"]
        assert news == sorted(news)


@given(
    st.lists(
        st.tuples(st.sampled_from(["w1", "w2"]), st.sampled_from(["a", "b", "c"]), st.booleans()),
        max_size=30,
    )
)
def test_claimable_is_the_due_head_of_each_group(spec):
    pending = [
        Delivery(w, f"e{i}", "message.new", g, "{}", 0.0, position=i, next_at=5.0 if late else 0.0)
        for i, (w, g, late) in enumerate(spec)
    ]
    heads = webhooks.claimable(pending, now=1.0)
    firsts: dict[tuple[str, str], Delivery] = {}
    for d in pending:
        firsts.setdefault((d.webhook_id, d.group), d)
    assert heads == [d for d in firsts.values() if d.next_at <= 1.0]
