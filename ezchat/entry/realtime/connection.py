"""One client connection's outbox: bounded in frames and bytes, drained by its own writer, so
that a slow client never delays anyone else and never grows memory without bound."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_FLOODING = 4429
CLOSE_LIMIT = 4503


class Socket(Protocol):
    """What the outbox needs of a WebSocket handler."""

    def write_message(self, message: bytes) -> Awaitable[None]: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Connection:
    def __init__(
        self,
        socket: Socket,
        *,
        user_id: str,
        session_id: str,
        max_frames: int,
        max_bytes: int,
        on_overflow: Callable[[Connection], None] | None = None,
    ) -> None:
        self.socket = socket
        self.user_id = user_id
        self.session_id = session_id
        self._max_frames, self._max_bytes = max_frames, max_bytes
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._on_overflow = on_overflow
        self.closed = False

    @property
    def queued(self) -> tuple[int, int]:
        return len(self._queue), self._queued_bytes

    def send(self, data: bytes) -> bool:
        """Queue a frame without waiting. A client that has fallen too far behind is closed
        with 4408 and its queue dropped; returns False then, or when already closed."""
        if self.closed:
            return False
        if len(self._queue) >= self._max_frames or self._queued_bytes + len(data) > self._max_bytes:
            log.warning("closing %s of user %s: too slow to keep up", self.session_id, self.user_id)
            self.close(CLOSE_TOO_SLOW, "too slow to keep up")
            if self._on_overflow is not None:
                self._on_overflow(self)
            return False
        self._queue.append(data)
        self._queued_bytes += len(data)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(
                self._drain(), name=f"ws-writer-{self.session_id}"
            )
        return True

    async def _drain(self) -> None:
        """Hand everything queued to the socket, then wait until it is flushed to the kernel
        before taking more: at most one batch sits in the socket's buffer at a time."""
        try:
            while self._queue and not self.closed:
                last: Awaitable[None] | None = None
                while self._queue:
                    data = self._queue.popleft()
                    self._queued_bytes -= len(data)
                    last = self.socket.write_message(data)
                if last is not None:
                    await last
        except Exception as exc:  # the socket closed under us: nothing left to deliver
            log.debug("writer of %s stopped: %r", self.session_id, exc)
            self._drop()
        finally:
            self._writer = None

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
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
        """The socket is gone: release the queue and stop the writer."""
        self._drop()
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
