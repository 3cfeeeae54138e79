"""Heartbeats and token expiry on the hub's one timer: a connection silent for the interval is
pinged, one heard from is not, one silent for the timeout is closed with 4408, and one whose
token has expired gets an error and 4401."""

import json

import pytest

from ezchat.entry.realtime.connection import Connection
from tests.unit.test_outbox import FakeSocket

pytestmark = pytest.mark.gen_test


def connection(sock: FakeSocket, user_id: str = "u", **kw) -> Connection:
    return Connection(
        sock, user_id=user_id, session_id=user_id, max_frames=9, max_bytes=10**5, **kw
    )


async def test_a_silent_connection_is_pinged_then_closed_and_one_heard_from_is_not(world):
    hub = world.app.hub
    config = world.app.services.config
    interval, timeout = config.heartbeat_interval, config.heartbeat_timeout
    silent, chatty = FakeSocket(), FakeSocket()
    a, b = connection(silent, "a"), connection(chatty, "b")
    await hub.add(a)
    await hub.add(b)
    world.clock.advance(interval * 0.9)
    assert silent.pings == chatty.pings == 0
    world.clock.advance(interval * 0.2)  # the interval has passed: both pinged, once
    assert silent.pings == chatty.pings == 1
    b.heard_at = world.clock.monotonic()  # b answers (its pong)
    for _ in range(int(timeout) * 2):
        world.clock.advance(1)
        b.heard_at = world.clock.monotonic()  # and keeps talking
    assert silent.closed_with == 4408 and a.closed
    assert chatty.closed_with is None and not b.closed
    assert chatty.pings == 1  # heard from all along: never pinged again
    hub.remove(a)
    hub.remove(b)


async def test_a_connection_ends_with_an_error_and_4401_when_its_token_expires(world):
    hub = world.app.hub
    sock = FakeSocket()
    conn = connection(sock, expires_at=world.clock.now().timestamp() + 5)
    await hub.add(conn)
    for _ in range(4):
        world.clock.advance(1)
        conn.heard_at = world.clock.monotonic()
    assert sock.closed_with is None
    world.clock.advance(2)
    assert sock.closed_with == 4401
    body = json.loads(sock.written[-1][2:])
    assert body["type"] == "error" and body["payload"]["code"] == "unauthorized"
    hub.remove(conn)


async def test_the_timer_stops_without_connections_and_starts_with_the_next(world):
    hub = world.app.hub
    first = connection(FakeSocket())
    await hub.add(first)
    hub.remove(first)
    world.clock.advance(5)  # one more look finds nobody: the timer is not re-armed
    assert hub.heartbeat._timer is None
    sock = FakeSocket()
    await hub.add(connection(sock, "v"))
    world.clock.advance(world.app.services.config.heartbeat_interval + 1)
    assert sock.pings == 1
