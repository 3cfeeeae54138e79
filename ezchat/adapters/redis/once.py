"""One-time keys in Redis (SET NX EX): a ticket used through one process is used for all.
While Redis is unreachable, this process remembers its own claims (a ticket could then be used
once per process within its 30 s, which the logged warning says)."""

from __future__ import annotations

import logging
from typing import Any

from ezchat.adapters.memory.once import LocalOneTimeKeys
from ezchat.adapters.redis.client import REDIS_ERRORS

log = logging.getLogger(__name__)


class RedisOneTimeKeys:
    def __init__(self, client: Any, *, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._local = LocalOneTimeKeys()

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def claim(self, key: str, *, ttl_s: float) -> bool:
        if not await self._local.claim(key, ttl_s=ttl_s):
            return False
        try:
            first = await self._redis.set(
                f"{self._prefix}:once:{key}", b"1", nx=True, ex=max(1, int(ttl_s + 1))
            )
        except REDIS_ERRORS as exc:
            log.warning("one-time key in redis failed (%s); checked in this process only", exc)
            return True
        return bool(first)
