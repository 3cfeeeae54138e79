"""Connections counted in Redis, across every process and node.

A sorted set per user: member = connection id, score = when it expires. Each process refreshes
the scores of its own connections every ttl/3, so the connections of a process that died
without closing them expire on their own after ``ttl_s``. While Redis is unreachable the count
falls back to this process's own connections."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ezchat.adapters.memory.presence import LocalConnectionCounter
from ezchat.adapters.redis.client import REDIS_ERRORS

log = logging.getLogger(__name__)


class RedisConnectionCounter:
    def __init__(self, client: Any, *, prefix: str = "ezchat", ttl_s: float = 90.0) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_s
        self._local = LocalConnectionCounter()
        self._mine: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None

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

    async def _live(self, pipe: Any, user_id: str) -> None:
        key = self._key(user_id)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        pipe.expire(key, int(self._ttl) + 1)

    async def opened(self, user_id: str, connection_id: str) -> int:
        local = await self._local.opened(user_id, connection_id)
        self._mine.setdefault(user_id, set()).add(connection_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._key(user_id), {connection_id: time.time() + self._ttl})
                await self._live(pipe, user_id)
                results = await pipe.execute()
            return int(results[2])
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
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self._key(user_id), connection_id)
                await self._live(pipe, user_id)
                results = await pipe.execute()
            return int(results[2])
        except REDIS_ERRORS as exc:
            log.warning("presence count in redis failed (%s); counting locally", exc)
            return local

    async def count(self, user_id: str) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                await self._live(pipe, user_id)
                results = await pipe.execute()
            return int(results[1])
        except REDIS_ERRORS:
            return await self._local.count(user_id)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            if not self._mine:
                continue
            expires = time.time() + self._ttl
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for user_id, conns in self._mine.items():
                        pipe.zadd(self._key(user_id), dict.fromkeys(conns, expires))
                        pipe.expire(self._key(user_id), int(self._ttl) + 1)
                    await pipe.execute()
            except REDIS_ERRORS as exc:
                log.warning("refreshing presence in redis failed: %s", exc)
