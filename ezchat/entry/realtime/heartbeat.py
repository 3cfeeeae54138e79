"""Heartbeats and token expiry for every connection of the process, on one timer.

Each tick looks at every connection: one silent (no pong, no frame) for ``timeout_s`` is
closed with 4408; one silent for ``interval_s`` since it was last heard or pinged is pinged;
one whose token has expired gets an ``unauthorized`` error and 4401. One sweep a second over
10,000 connections costs a few milliseconds, where a ping task and two timers per connection
(Tornado's own heartbeat, and an expiry timer) cost about 1.3 KB each of them, idle or not."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ezchat.entry.realtime import frames
from ezchat.entry.realtime.connection import (
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
    Connection,
    wire,
)
from ezchat.ports.clock import Clock, Timer

log = logging.getLogger(__name__)


def tick_for(interval_s: float, timeout_s: float) -> float:
    """How often to look: often enough that a ping goes out and a silent peer is closed
    within a quarter of the interval (at most a second) of when it is due."""
    return min(1.0, interval_s / 4, (timeout_s - interval_s) / 2)


class Heartbeat:
    def __init__(
        self,
        clock: Clock,
        connections: Callable[[], Iterable[Connection]],
        *,
        interval_s: float,
        timeout_s: float,
    ) -> None:
        self._clock = clock
        self._connections = connections
        self._interval = interval_s
        self._timeout = timeout_s
        self._tick = tick_for(interval_s, timeout_s)
        self._timer: Timer | None = None
        self._stopped = False

    def ensure_running(self) -> None:
        """Arm the timer (a connection was added)."""
        if self._timer is None and not self._stopped:
            self._timer = self._clock.call_later(self._tick, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        now = self._clock.monotonic()
        wall = self._clock.now().timestamp()
        any_left = False
        for conn in self._connections():
            if conn.closed:
                continue
            any_left = True
            if wall >= conn.expires_at:
                conn.send(wire(frames.error("unauthorized", "token expired")))
                conn.close(CLOSE_UNAUTHORIZED, "token expired")
            elif now - conn.heard_at >= self._timeout:
                log.info("closing %s of user %s: no pong", conn.session_id, conn.user_id)
                conn.close(CLOSE_TOO_SLOW, "ping timed out")
            elif now - max(conn.heard_at, conn.pinged_at) >= self._interval:
                conn.pinged_at = now
                conn.ping()
        if any_left:
            self.ensure_running()

    def cancel(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
