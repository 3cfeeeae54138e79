"""Limits counted in Redis, so they hold across processes and nodes: one Lua script per step,
atomic, on Redis's own clock (processes' clocks may differ). While Redis cannot be reached,
each process counts on its own (``scope()`` says ``local``, and /health shows it) and tries
Redis again a second later."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from ezchat.adapters.memory.limits import LocalRateLimits
from ezchat.adapters.redis.client import REDIS_ERRORS
from ezchat.ports.limits import Bucket, Window

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_S = 1.0

# A token bucket: tokens and the time they were counted, in one hash.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(s[1]) or burst
local at = tonumber(s[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""

# A failure window: the failures' times in a sorted set, the oldest beyond the window dropped.
RETRY_AFTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < max then return '0' end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
"""

FAIL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 1))
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return 1
"""


class RedisRateLimits:
    def __init__(
        self,
        client: Any,
        *,
        prefix: str,
        buckets: Mapping[str, Bucket],
        windows: Mapping[str, Window],
        local: LocalRateLimits,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._buckets = dict(buckets)
        self._windows = dict(windows)
        self._local = local
        self._down_until = 0.0
        self._take = client.register_script(TAKE)
        self._retry_after = client.register_script(RETRY_AFTER)
        self._fail = client.register_script(FAIL)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        await self._client.aclose()

    def _key(self, name: str, key: str) -> str:
        return f"{self._prefix}:limit:{name}:{key}"

    def scope(self) -> str:
        return "local" if time.monotonic() < self._down_until else "shared"

    def _unreachable(self, exc: Exception) -> None:
        if self.scope() == "shared":
            log.warning("limits: Redis unavailable (%s); counting in this process", exc)
        self._down_until = time.monotonic() + RETRY_AFTER_FAILURE_S

    async def take(self, name: str, key: str) -> float:
        if self.scope() == "shared":
            b = self._buckets[name]
            try:
                return float(await self._take(keys=[self._key(name, key)], args=[b.rate, b.burst]))
            except REDIS_ERRORS as exc:
                self._unreachable(exc)
        return await self._local.take(name, key)

    async def retry_after(self, name: str, key: str) -> float:
        if self.scope() == "shared":
            w = self._windows[name]
            try:
                return float(
                    await self._retry_after(
                        keys=[self._key(name, key)], args=[w.max_failures, w.window_s]
                    )
                )
            except REDIS_ERRORS as exc:
                self._unreachable(exc)
        return await self._local.retry_after(name, key)

    async def fail(self, name: str, key: str) -> None:
        await self._local.fail(name, key)  # kept here too: what counts while Redis is away
        if self.scope() == "shared":
            w = self._windows[name]
            try:
                await self._fail(
                    keys=[self._key(name, key)],
                    args=[w.max_failures, w.window_s, uuid.uuid4().hex],
                )
            except REDIS_ERRORS as exc:
                self._unreachable(exc)

    async def succeed(self, name: str, key: str) -> None:
        await self._local.succeed(name, key)
        if self.scope() == "shared":
            try:
                await self._client.delete(self._key(name, key))
            except REDIS_ERRORS as exc:
                self._unreachable(exc)
