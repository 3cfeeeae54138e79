"""One client connection's outbox: bounded in frames and bytes, so that a slow client never
delays anyone else and never grows memory without bound.

Frames arrive as complete WebSocket wire frames (built once per event, shared by every
recipient). While the socket keeps up, the frames of one turn of the event loop wait in the
outbox and go out in one write when the hub's ``Flusher`` comes to the connection (the end of
that turn, or a later one in a fan-out to thousands); once a write is pending (the kernel
buffer is full), later frames wait there too and are written together when it completes.
Without a flusher (tests of the outbox alone), each frame is written as it comes."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Protocol

from ezchat.entry.realtime.writes import Flushed, Flusher

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_FLOODING = 4429
CLOSE_LIMIT = 4503
CLOSE_SERVER_ERROR = 1011  # the store or the broker away while opening: try again later


PING = b"\x89\x00"  # a final ping control frame with no payload (RFC 6455 5.5.2)


def wire(payload: bytes) -> bytes:
    """A final, unmasked WebSocket text frame carrying ``payload`` (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


class Socket(Protocol):
    """What the outbox needs of a WebSocket handler."""

    def write_frame(self, data: bytes) -> Flushed | None:
        """Write complete wire frames; None when the connection is already gone."""

    def ping(self) -> None:
        """Send a WebSocket ping (may raise when the connection is gone)."""

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Connection:
    # Thousands are held at once: no per-instance dict.
    __slots__ = (
        "__weakref__",
        "_greeting",
        "_max_bytes",
        "_max_frames",
        "_flusher",
        "_on_overflow",
        "_queue",
        "_queued_bytes",
        "_writing",
        "closed",
        "expires_at",
        "heard_at",
        "issued_at",
        "pinged_at",
        "session_id",
        "socket",
        "token_id",
        "user_id",
    )

    def __init__(
        self,
        socket: Socket,
        *,
        user_id: str,
        session_id: str,
        max_frames: int,
        max_bytes: int,
        on_overflow: Callable[[Connection], None] | None = None,
        greeting: bool = False,
        token_id: str | None = None,
        issued_at: float = 0.0,
        expires_at: float = float("inf"),
        flusher: Flusher | None = None,
    ) -> None:
        """``greeting``: nothing is written before ``greet`` sends the first frame (hello);
        frames sent until then wait behind it, within the same bounds. ``expires_at``: when
        its token expires (epoch seconds). ``flusher``: frames are joined and written at the
        end of the loop's turn (without one, each is written as it comes)."""
        self.socket = socket
        self.user_id = user_id
        # The token it was opened with: what revoking access closes it by.
        self.token_id = token_id
        self.issued_at = issued_at
        self.expires_at = expires_at
        # Heartbeat (monotonic): when the client was last heard from, and last pinged; the
        # hub sets both when it takes the connection in.
        self.heard_at = 0.0
        self.pinged_at = 0.0
        self.session_id = session_id
        self._max_frames, self._max_bytes = max_frames, max_bytes
        # A list, not a deque: only appended to and joined, and an empty deque takes 600
        # bytes where an empty list takes 56, in every idle connection.
        self._queue: list[bytes] = []
        self._queued_bytes = 0
        # Until greeted, frames queue as if a write were pending.
        self._writing = greeting
        self._greeting = greeting
        self._on_overflow = on_overflow
        self._flusher = flusher
        self.closed = False

    @property
    def queued(self) -> tuple[int, int]:
        return len(self._queue), self._queued_bytes

    def send(self, data: bytes) -> bool:
        """Queue or write one wire frame without waiting. A client that has fallen too far
        behind is closed with 4408 and its queue dropped; returns False then, or when closed.
        With a flusher, frames wait for it (the end of this turn of the loop, or a later turn
        in a fan-out too large for one), within the same bounds as a pending write."""
        if self.closed:
            return False
        if not self._writing and self._flusher is None:
            self._write(data)
            return not self.closed
        if len(self._queue) >= self._max_frames or self._queued_bytes + len(data) > self._max_bytes:
            log.warning("closing %s of user %s: too slow to keep up", self.session_id, self.user_id)
            self._queue.clear()  # what it could not take is not written on the way out
            self.close(CLOSE_TOO_SLOW, "too slow to keep up")
            if self._on_overflow is not None:
                self._on_overflow(self)
            return False
        if not self._writing and not self._queue and self._flusher is not None:
            self._flusher.add(self)
        self._queue.append(data)
        self._queued_bytes += len(data)
        return True

    def flush(self) -> None:
        """Write what waited for the end of the loop's turn."""
        if self.closed or self._writing or not self._queue:
            return
        queue = self._queue
        data = queue[0] if len(queue) == 1 else b"".join(queue)
        queue.clear()
        self._queued_bytes = 0
        self._write(data)

    def greet(self, first: bytes) -> None:
        """Write ``first``, then whatever queued behind it."""
        if not self._greeting or self.closed:
            return
        self._greeting = False
        self._writing = False
        queued = b"".join(self._queue)
        self._queue.clear()
        self._queued_bytes = 0
        self._write(first + queued)

    def _write(self, data: bytes) -> None:
        try:
            flushed = self.socket.write_frame(data)
        except Exception as exc:  # the socket closed under us: nothing left to deliver
            log.debug("write to %s failed: %r", self.session_id, exc)
            flushed = None
        if flushed is None:
            self._drop()
            return
        if not flushed.done():
            self._writing = True
            flushed.add_done_callback(self._flushed)

    def _flushed(self, flushed: Flushed) -> None:
        self._writing = False
        if not flushed.cancelled() and flushed.exception() is not None:
            self._drop()  # the stream closed under the write: nothing more will go out
            return
        if self._queue and not self.closed:
            data = b"".join(self._queue)
            self._queue.clear()
            self._queued_bytes = 0
            self._write(data)

    def ping(self) -> None:
        """A WebSocket ping, through the outbox like any frame: with a flusher, the pings of
        thousands of connections that fell idle together are written sliced across turns of
        the loop, not in one turn that stalls every conversation."""
        if self.closed:
            return
        if self._flusher is not None:
            self.send(PING)
            return
        try:
            self.socket.ping()
        except Exception as exc:  # closed under us; its close is under way
            log.debug("ping to %s failed: %r", self.session_id, exc)

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.flush()  # an error frame sent just before the close goes out before it
        self._drop()
        try:
            self.socket.close(code, reason)
        except Exception:
            log.exception("closing %s failed", self.session_id)

    def _drop(self) -> None:
        self.closed = True
        self._queue.clear()
        self._queued_bytes = 0

    def abandon(self) -> None:
        """The socket is gone: release the queue."""
        self._drop()
