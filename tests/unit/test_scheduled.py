"""The rules of scheduled messages on the memory adapters: a send repeated after a lost lease
stores one message, a rate limit or the store away is tried again, a refusal is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ezchat.domain import scheduled
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.scheduled import ScheduledState
from tests.support import World

pytestmark = pytest.mark.gen_test


@pytest.fixture
def w(tmp_path, io_loop):
    """Started without serving: no sender runs on its own; the tests claim and send."""
    world = World(tmp_path)
    io_loop.run_sync(lambda: world.app.start(serving=False))
    yield world
    io_loop.run_sync(world.app.aclose)


async def _world(w):
    a = (await w.user("ann")).id
    b = (await w.user("ben")).id
    view = await w.conversations.create_group(a, name="g", member_ids=[b])
    return a, b, view.conversation.id


async def _scheduled(w, a, conv, seconds=60, client_id="k"):
    when = w.clock.now() + timedelta(seconds=seconds)
    item, _ = await w.app.services.scheduled.schedule(
        a, SendMessage(conv, client_id, "hello later"), when
    )
    return item


async def test_a_send_repeated_after_a_lost_lease_stores_one_message(w):
    a, _, conv = await _world(w)
    item = await _scheduled(w, a, conv)
    w.clock.advance(61)
    (first,) = await w.app.services.scheduled.claim(10)
    assert await w.app.services.scheduled.send(first) == "sent"
    # As if the first process died after its send, before the item left: the item is taken
    # again and sent again (under its client_id).
    again = await w.app.services.stores.scheduled.add(replace(item, id="again"))
    (retaken,) = await w.app.services.scheduled.claim(10)
    assert retaken.id == again.id
    assert await w.app.services.scheduled.send(retaken) == "sent"
    page, _ = await w.messages.history(a, conv, before=None, after=None, limit=10)
    assert [m.text for m in page] == ["hello later"]


async def test_a_refusal_when_due_is_kept_on_the_item(w):
    a, b, conv = await _world(w)
    item = await _scheduled(w, b, conv)
    await w.members.remove_member(a, conv, b)
    w.clock.advance(61)
    (held,) = await w.app.services.scheduled.claim(10)
    assert await w.app.services.scheduled.send(held) == "failed"
    kept = await w.app.services.stores.scheduled.get(item.id)
    assert kept.state is ScheduledState.FAILED and kept.error.startswith("not_found:")
    assert await w.app.services.scheduled.claim(10) == []


async def test_nothing_is_claimed_before_its_time_and_a_claim_is_held(w):
    a, _, conv = await _world(w)
    await _scheduled(w, a, conv, seconds=30)
    w.clock.advance(29)
    assert await w.app.services.scheduled.claim(10) == []
    w.clock.advance(2)
    assert len(await w.app.services.scheduled.claim(10)) == 1
    assert await w.app.services.scheduled.claim(10) == []  # held by its lease
    w.clock.advance(31)  # the lease ran out: a process that died mid-send
    assert len(await w.app.services.scheduled.claim(10)) == 1


@given(seconds=st.floats(min_value=-1e6, max_value=1e9, allow_nan=False))
def test_send_at_is_taken_only_between_ten_seconds_and_a_year_ahead(seconds):
    from datetime import UTC, datetime

    now = datetime(2026, 12, 8, tzinfo=UTC)
    when = now + timedelta(seconds=seconds)
    ok = scheduled.MIN_AHEAD.total_seconds() <= seconds <= scheduled.MAX_AHEAD.total_seconds()
    try:
        assert scheduled.send_at_field(when, now) == when and ok
    except InvalidRequest as exc:
        assert not ok and exc.field == "send_at"
