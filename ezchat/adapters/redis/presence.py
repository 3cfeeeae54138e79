"""Connections counted in Redis, across every process and node.

A sorted set per user: member = connection id, score = when it expires. Each process refreshes
the scores of its own connections every ttl/3, so the connections of a process that died
without closing them expire on their own after ``ttl_s``. While Redis is unreachable the count
falls back to this process's own connections."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ezchat.adapters.memory.presence import LocalConnectionCounter
from ezchat.adapters.redis.client import REDIS_ERRORS

log = logging.getLogger(__name__)


# Every time is Redis's own (TIME), as the limits' are: the nodes' clocks may disagree, and a
# node whose clock ran ahead would keep others' connections alive, or expire its own early.
#   KEYS[1]: the user's set; ARGV[1]: ttl (s); ARGV[2]: "+" to add ARGV[3..], "-" to remove
#   them, "" for neither. Returns how many connections are live.
LIVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[1])
for i = 3, #ARGV do
  if ARGV[2] == '+' then redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
  elseif ARGV[2] == '-' then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + 1)
return n
"""


REFRESH_AT_ONCE = 200  # users' sets refreshed concurrently


class RedisConnectionCounter:
    def __init__(self, client: Any, *, prefix: str = "ezchat", ttl_s: float = 90.0) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_s
        self._local = LocalConnectionCounter()
        self._mine: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._live = client.register_script(LIVE)

    def _key(self, user_id: str) -> str:
        return f"{self._prefix}:conns:{user_id}"

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._refresh(), name="presence-refresh"
            )

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._redis.aclose()

    async def _count(self, user_id: str, change: str = "", *connection_ids: str) -> int:
        return int(
            await self._live(keys=[self._key(user_id)], args=[self._ttl, change, *connection_ids])
        )

    async def opened(self, user_id: str, connection_id: str) -> int:
        local = await self._local.opened(user_id, connection_id)
        self._mine.setdefault(user_id, set()).add(connection_id)
        try:
            return await self._count(user_id, "+", connection_id)
        except REDIS_ERRORS as exc:
            log.warning("presence count in redis failed (%s); counting locally", exc)
            return local

    async def closed(self, user_id: str, connection_id: str) -> int:
        local = await self._local.closed(user_id, connection_id)
        mine = self._mine.get(user_id)
        if mine is not None:
            mine.discard(connection_id)
            if not mine:
                del self._mine[user_id]
        try:
            return await self._count(user_id, "-", connection_id)
        except REDIS_ERRORS as exc:
            log.warning("presence count in redis failed (%s); counting locally", exc)
            return local

    async def count(self, user_id: str) -> int:
        try:
            return await self._count(user_id)
        except REDIS_ERRORS:
            return await self._local.count(user_id)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            if not self._mine:
                continue
            mine = list(self._mine.items())
            try:
                for i in range(0, len(mine), REFRESH_AT_ONCE):
                    await asyncio.gather(
                        *(self._count(u, "+", *conns) for u, conns in mine[i : i + REFRESH_AT_ONCE])
                    )
            except REDIS_ERRORS as exc:
                log.warning("refreshing presence in redis failed: %s", exc)
