"""The hub delivers message.new in seq order per conversation, whatever order events come in
(from several processes through Redis, or overtaking one another after a slow store read)."""

import asyncio
import json
from datetime import UTC, datetime

import pytest

from ezchat.domain.events import MessagePosted
from ezchat.domain.messages import Message
from ezchat.entry.realtime.connection import Connection
from tests.unit.test_outbox import FakeSocket

pytestmark = pytest.mark.gen_test


def posted(seq: int, recipients: frozenset[str]) -> MessagePosted:
    m = Message(
        id=f"m{seq}",
        conversation_id="c",
        seq=seq,
        rev=seq,
        client_id=f"k{seq}",
        sender_id="x",
        text=f"text {seq}",
        created_at=datetime.now(UTC),
    )
    return MessagePosted(recipients=recipients, message=m)


def seqs_written(sock: FakeSocket) -> list[int]:
    out = []
    for frame in sock.written:
        body = json.loads(frame[2:].decode()) if frame[1] < 126 else json.loads(frame[4:].decode())
        out.append(body["payload"]["message"]["seq"])
    return out


async def test_message_events_arriving_out_of_order_are_delivered_in_seq_order(world):
    hub = world.app.hub
    sock = FakeSocket()
    conn = Connection(sock, user_id="u", session_id="s", max_frames=100, max_bytes=10**6)
    await hub.add(conn)
    to_u = frozenset({"u"})
    for seq in (1, 3, 4, 2, 5):
        hub(posted(seq, to_u))
    assert seqs_written(sock) == [1, 2, 3, 4, 5]
    hub.remove(conn)


async def test_a_gap_that_never_fills_is_skipped_after_the_hold(world):
    hub = world.app.hub
    sock = FakeSocket()
    conn = Connection(sock, user_id="u", session_id="s", max_frames=100, max_bytes=10**6)
    await hub.add(conn)
    to_u = frozenset({"u"})
    hub(posted(1, to_u))
    hub(posted(3, to_u))
    assert seqs_written(sock) == [1]
    world.clock.advance(0.4)
    assert seqs_written(sock) == [1]  # still within the hold
    world.clock.advance(0.2)  # past it: the clock's timer delivers what waited
    assert seqs_written(sock) == [1, 3]
    hub.remove(conn)


def types_written(sock: FakeSocket) -> list[dict]:
    out = []
    for frame in sock.written:
        body = json.loads(frame[2:].decode()) if frame[1] < 126 else json.loads(frame[4:].decode())
        out.append(body)
    return out


async def test_a_receipt_held_in_its_window_skips_a_member_removed_meanwhile(world):
    from ezchat.domain.events import MemberRemoved, ReceiptMoved

    hub = world.app.hub
    socks = {u: FakeSocket() for u in ("a", "b")}
    conns = [
        Connection(socks[u], user_id=u, session_id=u, max_frames=100, max_bytes=10**6)
        for u in socks
    ]
    for conn in conns:
        await hub.add(conn)
    members = frozenset({"a", "b", "r"})

    def receipt(seq):
        return ReceiptMoved(
            recipients=members, conversation_id="c", user_id="r", read_seq=seq, delivered_seq=seq
        )

    hub(receipt(1))  # goes at once
    hub(receipt(2))  # held for the window
    hub(MemberRemoved(recipients=members, conversation_id="c", user_id="b"))
    world.clock.advance(10)  # the window ends: the held receipt goes
    seen = {
        u: [f["payload"]["read_seq"] for f in types_written(s) if f["type"] == "receipt"]
        for u, s in socks.items()
    }
    assert seen == {"a": [1, 2], "b": [1]}
    for conn in conns:
        hub.remove(conn)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_presence_goes_offline_a_grace_period_after_the_last_connection(world):
    hub = world.app.hub
    user = await world.user("alice")
    conn = Connection(FakeSocket(), user_id=user.id, session_id="s1", max_frames=9, max_bytes=999)
    await hub.add(conn)
    assert (await world.users.get(user.id)).status.value == "online"
    hub.remove(conn)
    await settle()
    grace = world.app.services.config.presence_grace_s
    world.clock.advance(grace - 0.1)
    await settle()
    assert (await world.users.get(user.id)).status.value == "online"
    # Back within the grace period: the timer is cancelled, no flap.
    again = Connection(FakeSocket(), user_id=user.id, session_id="s2", max_frames=9, max_bytes=999)
    await hub.add(again)
    world.clock.advance(10 * grace)
    await settle()
    assert (await world.users.get(user.id)).status.value == "online"
    hub.remove(again)
    await settle()
    world.clock.advance(grace + 0.1)
    await settle()
    assert (await world.users.get(user.id)).status.value == "offline"


async def test_presence_events_are_coalesced_per_user_in_their_window(world):
    from dataclasses import replace

    from ezchat.domain.events import PresenceChanged
    from ezchat.domain.model import Presence

    hub = world.app.hub
    sock = FakeSocket()
    conn = Connection(sock, user_id="w", session_id="s", max_frames=100, max_bytes=10**6)
    await hub.add(conn)
    alice, bob = await world.user("alice"), await world.user("bob")
    to_w = frozenset({"w"})

    def status(user, value):
        hub(PresenceChanged(recipients=to_w, user=replace(user, status=Presence(value))))

    def seen():
        return [
            (f["payload"]["user_id"], f["payload"]["status"])
            for f in types_written(sock)
            if f["type"] == "presence"
        ]

    status(alice, "online")  # the first goes at once
    status(bob, "online")  # another user's window is its own
    status(alice, "away")  # held
    status(alice, "online")  # replaces the held one
    assert seen() == [(alice.id, "online"), (bob.id, "online")]
    window = world.app.services.config.presence_flush_ms / 1000
    world.clock.advance(window * 0.9)
    assert len(seen()) == 2
    world.clock.advance(window * 0.2)  # the window ends: only the newest goes
    assert seen() == [(alice.id, "online"), (bob.id, "online"), (alice.id, "online")]
    world.clock.advance(10 * window)
    status(alice, "away")  # a quiet window later: at once again
    assert seen()[-1] == (alice.id, "away")
    hub.remove(conn)
