"""The notification outbox and push subscriptions, on every backend: entries open with the
message's own write and fold later messages in until claimed; claims are exclusive leases;
only the lease holder moves an entry on."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from ezchat.domain.outbox import OutboxState, PushSubscription
from tests.contract.builders import T0, at, group, new_message

pytestmark = pytest.mark.gen_test

DUE = 1000.0


@pytest.fixture
def conv(stores, io_loop):
    c = group("a", "b", "c")
    io_loop.run_sync(lambda: stores.conversations.add(c))
    return c


def notifying(conv_id, sender, *users, text="hi", client_id=None):
    return replace(
        new_message(conv_id, sender, text, client_id=client_id), notify=users, notify_at=DUE
    )


async def test_a_message_opens_an_entry_per_recipient_and_later_ones_join_it(stores, conv):
    m1, _ = await stores.messages.add(notifying(conv.id, "a", "b", "c"))
    m2, _ = await stores.messages.add(notifying(conv.id, "a", "b"))
    assert await stores.outbox.claim(now=DUE - 1, lease_s=60, limit=10) == []  # not due yet
    claimed = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    by_user = {n.user_id: n for n in claimed}
    assert set(by_user) == {"b", "c"}
    b = by_user["b"]
    assert (b.first_seq, b.last_seq, b.count, b.conversation_id) == (m1.seq, m2.seq, 2, conv.id)
    assert (by_user["c"].first_seq, by_user["c"].last_seq, by_user["c"].count) == (1, 1, 1)
    assert b.state is OutboxState.SENDING and b.lease_token and b.lease_until == DUE + 60


async def test_a_claimed_entry_takes_no_more_messages(stores, conv):
    await stores.messages.add(notifying(conv.id, "a", "b"))
    [first] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    m2, _ = await stores.messages.add(notifying(conv.id, "a", "b"))
    assert await stores.outbox.finish(first)
    [second] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert second.id != first.id and (second.first_seq, second.last_seq) == (m2.seq, m2.seq)


async def test_a_repeated_send_queues_nothing_more(stores, conv):
    await stores.messages.add(notifying(conv.id, "a", "b", client_id="k"))
    await stores.messages.add(notifying(conv.id, "a", "b", client_id="k"))
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert entry.count == 1


async def test_messages_of_a_batch_open_entries_like_single_ones(stores, conv):
    results = await stores.messages.add_many(
        [notifying(conv.id, "a", "b"), notifying("missing", "a", "b"), notifying(conv.id, "c", "b")]
    )
    assert isinstance(results[1], Exception)
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert (entry.count, entry.first_seq, entry.last_seq) == (2, 1, 2)


async def test_a_lease_is_exclusive_until_it_runs_out(stores, conv):
    await stores.messages.add(notifying(conv.id, "a", "b"))
    [mine] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert await stores.outbox.claim(now=DUE + 59, lease_s=60, limit=10) == []
    [theirs] = await stores.outbox.claim(now=DUE + 61, lease_s=60, limit=10)
    assert theirs.id == mine.id and theirs.lease_token != mine.lease_token
    # The first holder's lease is gone: nothing it writes counts.
    assert not await stores.outbox.finish(mine)
    assert not await stores.outbox.retry(mine, next_at=DUE, error="x", done=())
    assert not await stores.outbox.bury(mine, error="x", done=())
    assert await stores.outbox.finish(theirs)
    assert await stores.outbox.counts() == {"open": 0, "sending": 0, "dead": 0}


async def test_racing_claims_share_nothing(stores, conv):
    for i in range(12):
        await stores.messages.add(notifying(conv.id, "a", f"user-{i}"))
    rounds = await asyncio.gather(
        *(stores.outbox.claim(now=DUE, lease_s=60, limit=5) for _ in range(6))
    )
    ids = [n.id for claimed in rounds for n in claimed]
    assert len(ids) == len(set(ids))  # no entry leased twice
    # A claimer that lost a race for an entry claims fewer: what is left is there next time.
    rest = await stores.outbox.claim(now=DUE, lease_s=60, limit=12)
    assert len(ids) + len(rest) == len(set(ids) | {n.id for n in rest}) == 12


async def test_a_retry_is_due_later_and_remembers_what_was_done(stores, conv):
    await stores.messages.add(notifying(conv.id, "a", "b"))
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert await stores.outbox.retry(entry, next_at=DUE + 5, error="HTTP 500", done=("webhook",))
    assert await stores.outbox.claim(now=DUE + 4, lease_s=60, limit=10) == []
    [again] = await stores.outbox.claim(now=DUE + 5, lease_s=60, limit=10)
    assert (again.id, again.attempts, again.done, again.last_error) == (
        entry.id,
        1,
        ("webhook",),
        "HTTP 500",
    )
    assert await stores.outbox.counts() == {"open": 0, "sending": 1, "dead": 0}


async def test_a_buried_entry_is_kept_dead_and_never_claimed(stores, conv):
    await stores.messages.add(notifying(conv.id, "a", "b"))
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert await stores.outbox.bury(entry, error="HTTP 400", done=())
    assert await stores.outbox.claim(now=DUE + 10**6, lease_s=60, limit=10) == []
    [dead] = await stores.outbox.dead(10)
    assert (dead.id, dead.state, dead.last_error, dead.attempts) == (
        entry.id,
        OutboxState.DEAD,
        "HTTP 400",
        1,
    )
    assert (await stores.outbox.counts())["dead"] == 1


async def test_concurrent_senders_to_one_user_share_one_open_entry(stores, conv):
    await asyncio.gather(*(stores.messages.add(notifying(conv.id, "a", "b")) for _ in range(10)))
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert (entry.count, entry.first_seq, entry.last_seq) == (10, 1, 10)


def subscription(user_id, endpoint, seconds=0):
    return PushSubscription(
        endpoint=endpoint,
        user_id=user_id,
        p256dh="BPub",
        auth="c2VjcmV0",
        created_at=T0 + timedelta(seconds=seconds),
    )


async def test_push_subscriptions_by_user_newest_kept(stores):
    push = stores.push
    for i in range(4):
        await push.put(subscription("u", f"https://push.example/{i}", i), keep=3)
    await push.put(subscription("v", "https://push.example/v"), keep=3)
    mine = await push.for_user("u")
    assert [s.endpoint for s in mine] == [f"https://push.example/{i}" for i in (1, 2, 3)]
    assert mine[0].created_at == at(1)
    assert not await push.remove("v", "https://push.example/1")  # not v's
    assert await push.remove("u", "https://push.example/1")
    await push.remove_endpoint("https://push.example/2")
    assert [s.endpoint for s in await push.for_user("u")] == ["https://push.example/3"]


async def test_an_endpoint_subscribed_again_moves_to_its_new_user(stores):
    await stores.push.put(subscription("u", "https://push.example/x"), keep=3)
    await stores.push.put(subscription("v", "https://push.example/x", 5), keep=3)
    assert await stores.push.for_user("u") == []
    [moved] = await stores.push.for_user("v")
    assert moved.created_at == at(5)


@pytest.mark.parametrize("stores", ["mongo-motor"], indirect=True)
async def test_on_mongodb_a_failed_outbox_write_does_not_fail_the_stored_message(stores, conv):
    """Without transactions the messages are in before the outbox write: a send that stored
    its message succeeds even when queueing its notification fails (README, Known limits)."""
    from pymongo.errors import AutoReconnect

    class Failing:
        async def bulk_write(self, *args, **kwargs):
            raise AutoReconnect("outbox unreachable")

    stores.messages._outbox = Failing()
    message, created = await stores.messages.add(notifying(conv.id, "a", "b"))
    assert created and await stores.messages.get(conv.id, message.id) == message
    assert await stores.outbox.claim(now=DUE, lease_s=60, limit=10) == []


@pytest.mark.parametrize("stores", ["mongo-motor", "mongo-pymongo"], indirect=True)
async def test_on_mongodb_an_entry_starts_at_the_lowest_seq_whichever_upsert_came_first(
    stores, conv
):
    """Writers take their seqs before their outbox upserts, so a later seq can open the entry;
    an earlier one joining it must still move its start back (else the notice misses it)."""
    from ezchat.adapters.mongo.outbox import open_notifications

    m1, _ = await stores.messages.add(new_message(conv.id, "a", "first"))
    m2, _ = await stores.messages.add(new_message(conv.id, "a", "second"))
    late, early = (notifying(conv.id, "a", "b").notifications(m) for m in (m2, m1))
    outbox = stores.messages._outbox
    await open_notifications(outbox, late)
    await open_notifications(outbox, early)
    [entry] = await stores.outbox.claim(now=DUE, lease_s=60, limit=10)
    assert (entry.first_seq, entry.last_seq, entry.count) == (m1.seq, m2.seq, 2)
