"""Writing wire frames to clients for the fewest Python calls and system calls per recipient.

``write_now``: while a stream has nothing buffered, the bytes go to the socket at once with one
``send`` (no Future, no buffer), and only what the kernel did not take goes through Tornado's
``IOStream.write``, whose Future tells when it left. ``Flusher``: frames for one connection
made in one turn of the event loop (a group commit of many messages, a burst of receipts) are
joined and written once, at the end of that turn.

Relies on Tornado internals, listed in docs/benchmarks.md: ``IOStream.socket`` and
``BaseIOStream._write_buffer`` (nothing waits in Tornado's buffer when it is empty); the test
``tests/unit/test_writes.py`` fails if either changes."""

from __future__ import annotations

import asyncio
import logging
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
    """Connections with frames waiting for the end of this turn of the loop."""

    __slots__ = ("_dirty", "_scheduled")

    def __init__(self) -> None:
        self._dirty: list[Flushable] = []
        self._scheduled = False

    def add(self, conn: Flushable) -> None:
        self._dirty.append(conn)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        self._scheduled = False
        for conn in dirty:
            try:
                conn.flush()
            except Exception:  # one connection's fault must not keep the others' frames
                log.exception("flushing a connection failed")
