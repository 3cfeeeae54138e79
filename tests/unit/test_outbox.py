"""A connection's outbox with a fake socket: slow clients are bounded and never hold up others."""

import asyncio
from typing import Any

import pytest

from ezchat.entry.realtime.connection import CLOSE_TOO_SLOW, Connection

pytestmark = pytest.mark.gen_test


class FakeSocket:
    """Takes every write; ``stuck`` sockets never finish flushing (a client that stopped
    reading with full TCP buffers)."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.stuck = stuck
        self.written: list[bytes] = []
        self.closed_with: int | None = None
        self.pings = 0

    def write_frame(self, data: bytes) -> "asyncio.Future[None]":
        self.written.append(data)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self.stuck:
            fut.set_result(None)
        self.pending = fut
        return fut

    def ping(self) -> None:
        self.pings += 1

    def close(self, code=None, reason=None) -> None:
        self.closed_with = code


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_frames_are_written_in_order():
    sock = FakeSocket()
    conn = Connection(sock, user_id="u", session_id="s", max_frames=10, max_bytes=1000)
    for i in range(5):
        assert conn.send(f"f{i}".encode())
    await settle()
    assert sock.written == [b"f0", b"f1", b"f2", b"f3", b"f4"]
    assert conn.queued == (0, 0)


async def test_a_stuck_client_is_closed_with_4408_at_the_frame_bound_and_its_queue_released():
    sock = FakeSocket(stuck=True)
    dropped: list[Any] = []
    conn = Connection(
        sock, user_id="u", session_id="s", max_frames=3, max_bytes=10**6, on_overflow=dropped.append
    )
    conn.send(b"first")
    await settle()  # handed to the socket; its flush never completes
    accepted = [conn.send(b"x") for _ in range(4)]
    assert accepted == [True, True, True, False]
    assert sock.closed_with == CLOSE_TOO_SLOW and dropped == [conn]
    assert conn.queued == (0, 0) and conn.closed
    assert conn.send(b"more") is False


async def test_the_byte_bound_closes_a_slow_client_too():
    sock = FakeSocket(stuck=True)
    conn = Connection(sock, user_id="u", session_id="s", max_frames=1000, max_bytes=100)
    conn.send(b"first")
    assert conn.send(b"a" * 60) and not conn.send(b"b" * 60)
    assert sock.closed_with == CLOSE_TOO_SLOW


async def test_a_stuck_client_does_not_delay_the_others():
    stuck = FakeSocket(stuck=True)
    fast = FakeSocket()
    slow_conn = Connection(stuck, user_id="a", session_id="1", max_frames=5, max_bytes=10**6)
    fast_conn = Connection(fast, user_id="b", session_id="2", max_frames=5, max_bytes=10**6)
    for i in range(50):
        frame = f"event-{i}".encode()
        slow_conn.send(frame)
        fast_conn.send(frame)
        await settle()
    assert len(fast.written) == 50 and fast.closed_with is None
    assert len(stuck.written) == 1
    assert stuck.closed_with == CLOSE_TOO_SLOW and slow_conn.queued == (0, 0)


async def test_a_write_that_fails_releases_the_queue():
    sock = FakeSocket(stuck=True)
    conn = Connection(sock, user_id="u", session_id="s", max_frames=10, max_bytes=1000)
    conn.send(b"a")
    conn.send(b"b")
    sock.pending.set_exception(ConnectionResetError("peer gone"))
    await settle()
    assert conn.closed and conn.queued == (0, 0)
    assert sock.written == [b"a"]


async def test_a_greeting_connection_writes_nothing_before_its_first_frame():
    sock = FakeSocket()
    conn = Connection(
        sock, user_id="u", session_id="s", max_frames=3, max_bytes=1000, greeting=True
    )
    assert conn.send(b"event-1") and conn.send(b"event-2")
    assert sock.written == []
    conn.greet(b"hello")
    await settle()
    assert b"".join(sock.written) == b"hello" + b"event-1" + b"event-2"
    conn.send(b"event-3")
    await settle()
    assert b"".join(sock.written).endswith(b"event-3")


async def test_a_greeting_connection_is_bounded_like_any_other():
    sock = FakeSocket()
    conn = Connection(
        sock, user_id="u", session_id="s", max_frames=2, max_bytes=1000, greeting=True
    )
    assert conn.send(b"1") and conn.send(b"2")
    assert not conn.send(b"3")
    assert sock.closed_with == CLOSE_TOO_SLOW
