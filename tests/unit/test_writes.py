"""Frames written straight to the socket while Tornado's stream holds nothing, through the
stream once the kernel pushes back, in order either way; frames of one turn of the loop
joined into one write; an error frame sent before a close still goes out first. The Tornado
internals the fast path relies on are checked by name here, so an upgrade that renames them
fails this test instead of silently taking the slow path (or breaking order)."""

import asyncio
import socket

import pytest
from tornado.iostream import IOStream

from ezchat.entry.realtime.connection import PING, Connection, wire
from ezchat.entry.realtime.writes import WRITTEN, Flusher, write_now

pytestmark = pytest.mark.gen_test


def streams():
    a, b = socket.socketpair()
    a.setblocking(False)
    return IOStream(a), b


def test_the_internals_relied_on_are_there(io_loop):
    stream, other = streams()
    try:
        assert stream.socket is not None
        assert len(stream._write_buffer) == 0
    finally:
        stream.close()
        other.close()


async def test_a_write_the_kernel_takes_whole_needs_no_future():
    stream, other = streams()
    try:
        assert write_now(stream, b"hello") is WRITTEN
        assert other.recv(100) == b"hello"
    finally:
        stream.close()
        other.close()


async def test_past_the_kernel_buffer_bytes_keep_their_order():
    stream, other = streams()
    other.setblocking(False)
    try:
        chunks = [bytes([i % 251]) * 70_000 for i in range(40)]  # far past a socket buffer
        results = [write_now(stream, c) for c in chunks]
        assert any(r is not WRITTEN for r in results)  # the kernel pushed back
        got = bytearray()
        expected = b"".join(chunks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(got) < len(expected) and loop.time() < deadline:
            try:
                got += other.recv(1 << 20)
            except BlockingIOError:
                await asyncio.sleep(0.005)
        assert bytes(got) == expected
    finally:
        stream.close()
        other.close()


async def test_a_closed_stream_takes_nothing():
    stream, other = streams()
    stream.close()
    other.close()
    assert write_now(stream, b"x") is None


class Recording:
    def __init__(self):
        self.writes: list[bytes] = []
        self.closed_with = None

    def write_frame(self, data):
        self.writes.append(bytes(data))
        return WRITTEN

    def ping(self):
        pass

    def close(self, code=None, reason=None):
        self.closed_with = (code, self.writes[:])


def conn_on(socket, flusher):
    return Connection(
        socket, user_id="u", session_id="s", max_frames=10, max_bytes=10_000, flusher=flusher
    )


async def test_frames_of_one_turn_go_out_in_one_write_in_order():
    sock, flusher = Recording(), Flusher()
    conn = conn_on(sock, flusher)
    for i in range(3):
        assert conn.send(wire(b"%d" % i))
    assert sock.writes == []
    await asyncio.sleep(0)
    assert sock.writes == [wire(b"0") + wire(b"1") + wire(b"2")]
    conn.send(wire(b"3"))
    await asyncio.sleep(0)
    assert sock.writes[1:] == [wire(b"3")]


async def test_frames_waiting_for_the_flusher_count_against_the_outbox_bound():
    sock, flusher = Recording(), Flusher()
    conn = conn_on(sock, flusher)
    assert all(conn.send(wire(b"x")) for _ in range(10))  # max_frames is 10
    assert not conn.send(wire(b"x"))
    assert conn.closed and sock.closed_with == (4408, [])
    await asyncio.sleep(0)
    assert sock.writes == []


async def test_a_large_fan_out_is_spread_over_turns_behind_small_ones():
    flusher = Flusher()
    crowd = [(Recording(),) for _ in range(Flusher.SLICE * 3 + 5)]
    conns = [conn_on(s, flusher) for (s,) in crowd]
    for c in conns:
        c.send(wire(b"big"))
    await asyncio.sleep(0)  # the turn's end: one slice of the crowd
    written = sum(1 for (s,) in crowd if s.writes)
    assert written == Flusher.SLICE
    dm = Recording()
    direct = conn_on(dm, flusher)
    direct.send(wire(b"dm"))
    conns[-1].send(wire(b"next"))  # behind its first frame, in its own queue
    await asyncio.sleep(0)
    assert dm.writes == [wire(b"dm")]  # written the turn it was made
    for _ in range(4):
        await asyncio.sleep(0)
    assert all(s.writes for (s,) in crowd)
    assert crowd[-1][0].writes == [wire(b"big") + wire(b"next")]


async def test_an_error_sent_just_before_a_close_goes_out_before_it():
    sock, flusher = Recording(), Flusher()
    conn = conn_on(sock, flusher)
    conn.send(wire(b"error"))
    conn.close(4401, "revoked")
    assert sock.closed_with == (4401, [wire(b"error")])
    await asyncio.sleep(0)
    assert sock.writes == [wire(b"error")]


async def test_a_ping_goes_through_the_outbox_in_line_with_frames():
    sock, flusher = Recording(), Flusher()
    conn = conn_on(sock, flusher)
    conn.send(wire(b"a"))
    conn.ping()
    await asyncio.sleep(0)
    assert sock.writes == [wire(b"a") + PING] and PING == b"\x89\x00"
