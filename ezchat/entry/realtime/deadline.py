"""One timer for a queue whose items fall due at different times (held receipts, messages
waiting for a gap): armed for the earliest, re-armed after each firing, on the injected clock."""

from __future__ import annotations

from collections.abc import Callable

from ezchat.ports.clock import Clock, Timer


class Deadline:
    def __init__(
        self,
        clock: Clock,
        *,
        next_due: Callable[[], float | None],
        fire: Callable[[float], None],
    ) -> None:
        """``next_due()``: when the earliest item falls due (monotonic), None when none
        waits; ``fire(now)``: hand over what is due at ``now``."""
        self._clock = clock
        self._next_due = next_due
        self._fire = fire
        self._timer: Timer | None = None

    def arm(self) -> None:
        """Make sure a timer runs when the earliest item falls due."""
        if self._timer is not None:
            return
        due = self._next_due()
        if due is not None:
            self._timer = self._clock.call_later(due - self._clock.monotonic(), self._run)

    def _run(self) -> None:
        self._timer = None
        self._fire(self._clock.monotonic())
        self.arm()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
