"""Pure rate-limit decisions, driven by an injected monotonic time."""

from __future__ import annotations

from collections import OrderedDict, deque


class FailureLimiter:
    """Counts failures per key in a sliding window; past ``max_failures`` the key is refused
    until its oldest failure leaves the window. Keeps at most ``max_keys`` keys (oldest out)."""

    def __init__(self, *, max_failures: int, window_s: float, max_keys: int = 100_000) -> None:
        self._max = max_failures
        self._window = window_s
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str, *, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < self._max:
            return 0.0
        return max(times[0] + self._window - now, 0.001)

    def fail(self, key: str, *, now: float) -> None:
        times = self._failures.setdefault(key, deque())
        self._failures.move_to_end(key)
        times.append(now)
        while len(times) > self._max:
            times.popleft()
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeed(self, key: str) -> None:
        self._failures.pop(key, None)
