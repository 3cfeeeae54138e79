"""One-time keys remembered in this process: right when there is one process."""

from __future__ import annotations

import time
from collections import OrderedDict


class LocalOneTimeKeys:
    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._expiry: OrderedDict[str, float] = OrderedDict()  # key -> when it may be forgotten
        self._max = max_keys

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def claim(self, key: str, *, ttl_s: float) -> bool:
        now = time.monotonic()
        self._forget_expired(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + ttl_s
        while len(self._expiry) > self._max:
            self._expiry.popitem(last=False)
        return True

    def _forget_expired(self, now: float) -> None:
        # Keys are claimed with one ttl, so they expire roughly in insertion order.
        while self._expiry:
            key, until = next(iter(self._expiry.items()))
            if until > now:
                break
            del self._expiry[key]
