"""Limits counted in this process: the domain's token buckets and failure windows."""

from __future__ import annotations

from collections.abc import Mapping

from ezchat.domain.ratelimit import FailureLimiter, KeyedRateLimiter
from ezchat.ports.clock import Clock
from ezchat.ports.limits import Bucket, Window


class LocalRateLimits:
    def __init__(
        self, *, buckets: Mapping[str, Bucket], windows: Mapping[str, Window], clock: Clock
    ) -> None:
        self._clock = clock
        self._buckets = {
            name: KeyedRateLimiter(rate=b.rate, burst=b.burst) for name, b in buckets.items()
        }
        self._windows = {
            name: FailureLimiter(max_failures=w.max_failures, window_s=w.window_s)
            for name, w in windows.items()
        }

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def take(self, name: str, key: str) -> float:
        return self._buckets[name].take(key, now=self._clock.monotonic())

    async def retry_after(self, name: str, key: str) -> float:
        return self._windows[name].retry_after(key, now=self._clock.monotonic())

    async def fail(self, name: str, key: str) -> None:
        self._windows[name].fail(key, now=self._clock.monotonic())

    async def succeed(self, name: str, key: str) -> None:
        self._windows[name].succeed(key)

    def scope(self) -> str:
        return "local"
