"""Scheduled messages on every store: one item per (user, client_id), due items in order,
and writes made only over the version read, so that of writers at once exactly one wins."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ezchat.domain import scheduled
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Attachment
from ezchat.domain.scheduled import Scheduled, ScheduledState
from tests.contract.builders import at

pytestmark = pytest.mark.gen_test


def item(user="a", client_id=None, send_s=100.0, **changes) -> Scheduled:
    made = Scheduled(
        id=new_id(),
        user_id=user,
        conversation_id="c1",
        client_id=client_id or new_id(),
        text="later",
        attachments=(Attachment("https://x.test/a", "a", "text/plain", 3), Attachment(
            url="", name="", mime_type="", size=0, file_id="f1")),
        reply_to=None,
        send_at=at(send_s),
        created_at=at(0),
        due_at=at(send_s).timestamp(),
    )  # fmt: skip
    return replace(made, **changes)


async def test_an_item_is_kept_whole_and_once_per_client_id(stores):
    first = await stores.scheduled.add(item(client_id="k1"))
    assert await stores.scheduled.get(first.id) == first
    again = await stores.scheduled.add(item(client_id="k1", send_s=500))
    assert again == first
    other = await stores.scheduled.add(item(user="b", client_id="k1"))
    assert other.id != first.id
    later = await stores.scheduled.add(item(send_s=50))
    assert [s.id for s in await stores.scheduled.for_user("a")] == [later.id, first.id]
    assert await stores.scheduled.count_for_user("a") == 2
    assert await stores.scheduled.get("nope") is None


async def test_due_items_come_earliest_first_and_a_lost_lease_is_due_again(stores):
    t0 = at(0).timestamp()
    a = await stores.scheduled.add(item(send_s=20))
    b = await stores.scheduled.add(item(send_s=10))
    await stores.scheduled.add(item(send_s=99))
    assert [s.id for s in await stores.scheduled.due(now=t0 + 30, limit=10)] == [b.id, a.id]
    assert [s.id for s in await stores.scheduled.due(now=t0 + 30, limit=1)] == [b.id]
    held = scheduled.claimed(b, now=t0 + 30, lease_s=5, token="t")
    assert await stores.scheduled.swap(held, expected_version=b.version)
    assert [s.id for s in await stores.scheduled.due(now=t0 + 31, limit=10)] == [a.id]
    due = await stores.scheduled.due(now=t0 + 40, limit=10)
    assert [s.id for s in due] == [b.id, a.id]
    assert due[0].state is ScheduledState.SENDING and due[0].version == b.version + 1
    failed = scheduled.failed(due[1], "forbidden: blocked")
    assert await stores.scheduled.swap(failed, expected_version=due[1].version)
    assert [s.id for s in await stores.scheduled.due(now=t0 + 40, limit=10)] == [b.id]
    kept = await stores.scheduled.get(a.id)
    assert (kept.state, kept.error) == (ScheduledState.FAILED, "forbidden: blocked")


async def test_of_claims_at_once_exactly_one_wins_and_a_stale_remove_fails(stores):
    x = await stores.scheduled.add(item(send_s=1))
    now = at(10).timestamp()
    claims = [scheduled.claimed(x, now=now, lease_s=30, token=f"t{i}") for i in range(8)]
    won = await asyncio.gather(
        *(stores.scheduled.swap(c, expected_version=x.version) for c in claims)
    )
    assert won.count(True) == 1
    stored = await stores.scheduled.get(x.id)
    assert stored.lease_token == claims[won.index(True)].lease_token
    assert not await stores.scheduled.remove(x.id, expected_version=x.version)
    assert await stores.scheduled.remove(x.id, expected_version=stored.version)
    assert await stores.scheduled.get(x.id) is None
    assert not await stores.scheduled.swap(stored, expected_version=stored.version)
