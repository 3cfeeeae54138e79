"""The clock port: time, and timers on that time, injectable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None:
        """The callback will not run (nothing happens if it already ran)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for intervals and rate limits."""

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once, ``delay_s`` seconds of ``monotonic`` time from now. The
        callback must not block; it runs on the event loop (or when a test's clock is
        advanced past it)."""
