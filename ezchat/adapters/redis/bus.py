"""The event bus over Redis pub/sub (redis-py's asyncio client).

Each event is handed to this process's subscribers at once, then queued for one background
publisher that sends it to Redis once; each process listens once and hands other processes'
events to its own subscribers. So a process keeps serving its own clients while Redis is down:
what other processes miss meanwhile, their clients recover with sync. Both directions reconnect
with backoff on their own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from ezchat.adapters.memory.bus import InProcessEventBus
from ezchat.adapters.redis.client import REDIS_ERRORS, is_cluster, make_client
from ezchat.adapters.redis.codec import decode, encode
from ezchat.domain.backoff import backoff_delay
from ezchat.domain.events import Event
from ezchat.ports.bus import BrokerHealth, BusCounts, Subscriber

log = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(
        self,
        url: str,
        *,
        channel: str = "ezchat:events",
        max_queue: int = 100_000,
        on_remote: Callable[[Event], None] | None = None,
    ) -> None:
        self.origin = uuid.uuid4().hex
        self._url = url
        self._channel = channel
        self._local = InProcessEventBus()
        self._on_remote = on_remote
        self._queue: deque[str] = deque(maxlen=max_queue)
        self._wakeup = asyncio.Event()
        self._client: Any = None
        self._cluster = False
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = False  # the listener is subscribed
        self.published = 0
        self.received = 0
        self.dropped = 0

    def counts(self) -> BusCounts:
        """Published counts what reached Redis; events published while it was down and still
        queued are in neither published nor dropped yet."""
        return BusCounts(published=self.published, received=self.received, dropped=self.dropped)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self._local.subscribe(subscriber)

    async def publish(self, event: Event) -> None:
        await self._local.publish(event)
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1  # the oldest goes; clients of other processes recover by sync
        self._queue.append(encode(self.origin, event))
        self._wakeup.set()

    async def start(self) -> None:
        self._cluster = is_cluster(self._url)
        self._client = make_client(
            self._url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
        )
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._publisher(), name="redis-bus-publisher"),
            loop.create_task(self._listener(), name="redis-bus-listener"),
        ]

    async def health(self) -> BrokerHealth:
        if self._client is None:
            return "unavailable"
        try:
            alive = bool(await asyncio.wait_for(self._client.ping(), 2)) and self.connected
        except (*REDIS_ERRORS, TimeoutError):
            alive = False
        return "ok" if alive else "unavailable"

    async def _publisher(self) -> None:
        attempt = 0
        while True:
            await self._wakeup.wait()
            while self._queue:
                batch = list(self._queue)
                try:
                    await self._send(batch)
                except REDIS_ERRORS as exc:
                    attempt += 1
                    delay = backoff_delay(
                        attempt=attempt, base_s=0.1, cap_s=5, rand=random.random()
                    )
                    log.warning("publishing to redis failed (%s); retry in %.2f s", exc, delay)
                    await asyncio.sleep(delay)
                    continue
                attempt = 0
                for _ in batch:  # only what was sent leaves the queue
                    if self._queue:
                        self._queue.popleft()
                self.published += len(batch)
            self._wakeup.clear()

    async def _send(self, batch: list[str]) -> None:
        if self._cluster:  # sharded: the channel's shard only, one command each, in order
            for raw in batch:
                await self._client.spublish(self._channel, raw)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for raw in batch:
                pipe.publish(self._channel, raw)
            await pipe.execute()

    async def _messages(self, pubsub: Any) -> AsyncIterator[Any]:
        """The channel's messages as they come (sharded on a cluster)."""
        if not self._cluster:
            await pubsub.subscribe(self._channel)
            self.connected = True
            async for message in pubsub.listen():
                yield message.get("data")
            return
        await self._client.initialize()  # the slot map: which node holds the channel
        await pubsub.ssubscribe(self._channel)
        self.connected = True
        while True:
            message = await pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                yield message.get("data")

    async def _listener(self) -> None:
        attempt = 0
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                async for data in self._messages(pubsub):
                    if attempt:
                        log.warning("redis bus reconnected")
                        attempt = 0
                    self._received(data)
            except REDIS_ERRORS as exc:
                self.connected = False
                attempt += 1
                delay = backoff_delay(attempt=attempt, base_s=0.1, cap_s=5, rand=random.random())
                log.warning("redis bus listener lost (%s); reconnecting in %.2f s", exc, delay)
                await asyncio.sleep(delay)
            finally:
                self.connected = False
                with contextlib.suppress(*REDIS_ERRORS):
                    await pubsub.aclose()

    def _received(self, raw: Any) -> None:
        if not isinstance(raw, bytes | str):
            return
        try:
            origin, event = decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event from redis")
            return
        if origin == self.origin:
            return  # delivered locally when published
        self.received += 1
        if self._on_remote is not None:
            try:
                self._on_remote(event)
            except Exception:
                log.exception("handling a remote event's cache invalidation failed")
        self._local.deliver(event)

    async def aclose(self) -> None:
        """Send what is queued (briefly), then stop."""
        if self._queue and self._client is not None:
            for _ in range(20):
                if not self._queue:
                    break
                await asyncio.sleep(0.05)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
