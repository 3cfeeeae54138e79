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


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; each action takes one."""

    __slots__ = ("_rate", "_burst", "_tokens", "_at")

    def __init__(self, *, rate: float, burst: float, now: float) -> None:
        self._rate, self._burst = rate, burst
        self._tokens, self._at = burst, now

    def take(self, *, now: float) -> float:
        """Take a token: 0 when allowed, else the seconds until one is there."""
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate

    def full_at(self) -> float:
        return self._at + (self._burst - self._tokens) / self._rate


class KeyedRateLimiter:
    """A token bucket per key (a user), at most ``max_keys`` of them: full buckets are dropped
    first, as they carry no state worth keeping."""

    def __init__(self, *, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self._rate, self._burst, self._max = rate, burst, max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, *, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate=self._rate, burst=self._burst, now=now)
        else:
            self._buckets.move_to_end(key)
        wait = bucket.take(now=now)
        if len(self._buckets) > self._max:
            self._evict(now)
        return wait

    def _evict(self, now: float) -> None:
        for key in [k for k, b in self._buckets.items() if b.full_at() <= now]:
            del self._buckets[key]
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)


class FloodGuard:
    """Counts refusals in a sliding window; ``flooding`` once more than ``limit`` fell in it."""

    def __init__(self, *, limit: int, window_s: float) -> None:
        self._limit, self._window = limit, window_s
        self._times: deque[float] | None = None  # made at the first refusal: most have none

    def refused(self, *, now: float) -> bool:
        """Record a refusal; True when the client is flooding."""
        if self._times is None:
            self._times = deque()
        times = self._times
        times.append(now)
        while times and times[0] <= now - self._window:
            times.popleft()
        return len(times) > self._limit
