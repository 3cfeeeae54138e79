"""Writing wire frames to clients for the fewest Python calls and system calls per recipient.

``write_now``: while a stream has nothing buffered, the bytes go to the socket at once with one
``send`` (no Future, no buffer), and only what the kernel did not take goes through Tornado's
``IOStream.write``, whose Future tells when it left. ``Flusher``: frames for one connection
made in one turn of the event loop (a group commit of many messages, a burst of receipts) are
joined and written once, at the end of that turn; a fan-out to more connections than one turn
should write is spread over several, behind other conversations' frames.

Relies on Tornado internals, listed in docs/benchmarks.md: ``IOStream.socket`` and
``BaseIOStream._write_buffer`` (nothing waits in Tornado's buffer when it is empty); the test
``tests/unit/test_writes.py`` fails if either changes."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from tornado.iostream import IOStream, StreamClosedError

log = logging.getLogger(__name__)


class Flushed(Protocol):
    """What a socket write returns: done once the bytes reached the kernel."""

    def done(self) -> bool: ...

    def cancelled(self) -> bool: ...

    def exception(self) -> BaseException | None: ...

    def add_done_callback(self, fn: Callable[[Flushed], object], /) -> None: ...


class _Written:
    """A write the kernel took whole: done, with nothing to wait for."""

    __slots__ = ()

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def exception(self) -> BaseException | None:
        return None

    def add_done_callback(self, fn: Callable[[Flushed], object], /) -> None:
        fn(self)


WRITTEN = _Written()


def write_now(stream: IOStream, data: bytes) -> Flushed | None:
    """Write ``data`` after whatever the stream holds; None when the stream is closed."""
    if type(stream) is IOStream and not stream._write_buffer:
        sock = stream.socket
        if sock is None:
            return None
        try:
            sent = sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return None  # reset or closed under us; Tornado sees it on its next read
        if sent == len(data):
            return WRITTEN
        rest: bytes | memoryview = memoryview(data)[sent:] if sent else data
    else:
        rest = data
    try:
        return stream.write(rest)
    except StreamClosedError:
        return None


class Flushable(Protocol):
    def flush(self) -> None: ...


class Flusher:
    """Connections with frames waiting, written at the end of the loop's turn. The connections
    of one turn are written then if they are at most ``SLICE``; more (a fan-out to a large
    group) wait in a backlog written ``SLICE`` a turn, so other conversations' frames, written
    the turn they are made, never wait behind a fan-out to thousands. Order within a connection
    holds either way: its frames wait in its own queue, and it is written once."""

    __slots__ = ("_backlog", "_dirty", "_scheduled")

    SLICE = 1000

    def __init__(self) -> None:
        self._dirty: list[Flushable] = []
        self._backlog: deque[Flushable] = deque()
        self._scheduled = False

    def add(self, conn: Flushable) -> None:
        self._dirty.append(conn)
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        fresh, self._dirty = self._dirty, []
        if len(fresh) > self.SLICE:
            self._backlog.extend(fresh)
            fresh = []
        backlog = self._backlog
        for _ in range(min(self.SLICE, len(backlog))):
            fresh.append(backlog.popleft())
        for conn in fresh:
            try:
                conn.flush()
            except Exception:  # one connection's fault must not keep the others' frames
                log.exception("flushing a connection failed")
        if backlog:
            self._schedule()
