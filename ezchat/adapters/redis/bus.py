"""The event bus over Redis pub/sub (redis-py's asyncio client).

Each event is handed to this process's subscribers at once, then queued for one background
publisher that sends it to Redis once; each process listens on its channels and hands other
processes' events to its own subscribers. So a process keeps serving its own clients while
Redis is down: what other processes miss meanwhile, their clients recover with sync. Both
directions reconnect with backoff on their own.

Routing (``routing="conversation"``, the default): an event that concerns one conversation's
members alone (``conversation_scope``: messages, typing, receipts) goes to that conversation's
channel, ``{prefix}:c:{id}``, one publish whatever the number of members; a process listens to
the channels of the conversations it ``follow``s (those of its connected users), so it decodes
only what concerns it. Every other event goes to ``{prefix}:events``, which every process
hears: membership, conversations made and deleted, users, contacts, presence and access change
what any process may hold in its caches. ``routing="broadcast"`` sends everything to
``{prefix}:events``, as before routing existed."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from ezchat.adapters.memory.bus import InProcessEventBus
from ezchat.adapters.redis.channels import RETRY_CAP_S, Channels
from ezchat.adapters.redis.client import REDIS_ERRORS, is_cluster, make_client
from ezchat.adapters.redis.codec import decode, encode, origin_of
from ezchat.domain.backoff import backoff_delay
from ezchat.domain.events import Event, conversation_scope
from ezchat.ports.bus import BrokerHealth, BusCounts, Subscriber

log = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ezchat",
        routing: str = "conversation",
        max_queue: int = 100_000,
        on_remote: Callable[[Event], None] | None = None,
        on_unheard: Callable[[list[str]], None] | None = None,
    ) -> None:
        """``on_unheard``: conversations whose events stopped reaching this process (unfollowed,
        or their connection to Redis lost), for caches to forget them."""
        self.origin = uuid.uuid4().hex
        self._origin = self.origin.encode()
        self._url = url
        self._prefix = prefix
        self._routing = routing
        self.channel = f"{prefix}:events"
        self._conversation_channel = f"{prefix}:c:"
        self._local = InProcessEventBus()
        self._on_remote = on_remote
        self._on_unheard = on_unheard
        self._queue: deque[tuple[str, str]] = deque(maxlen=max_queue)
        self._wakeup = asyncio.Event()
        self._client: Any = None
        self._cluster = is_cluster(url)
        self._channels = Channels(url, on_message=self._received, on_lost=self._lost)
        self._tasks: list[asyncio.Task[None]] = []
        self.published = 0
        self.received = 0
        self.dropped = 0

    @property
    def routed(self) -> bool:
        return self._routing == "conversation"

    def counts(self) -> BusCounts:
        """Published counts what reached Redis; events published while it was down and still
        queued are in neither published nor dropped yet."""
        return BusCounts(
            published=self.published,
            received=self.received,
            dropped=self.dropped,
            channels=self._channels.confirmed_count,
            subscribe_commands=self._channels.subscribe_commands,
        )

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self._local.subscribe(subscriber)

    async def publish(self, event: Event) -> None:
        await self._local.publish(event)
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1  # the oldest goes; clients of other processes recover by sync
        self._queue.append((self._channel_of(event), encode(self.origin, event)))
        self._wakeup.set()

    def _channel_of(self, event: Event) -> str:
        conversation_id = conversation_scope(event) if self.routed else None
        if conversation_id is None:
            return self.channel
        return self._conversation_channel + conversation_id

    # -- which conversations this process hears ----------------------------------------------

    async def follow(self, conversation_ids: Iterable[str]) -> None:
        if self.routed:
            await self._channels.add(self._conversation_channel + c for c in conversation_ids)

    def unfollow(self, conversation_ids: Iterable[str]) -> None:
        if not self.routed:
            return
        ids = list(conversation_ids)
        self._channels.remove(self._conversation_channel + c for c in ids)
        if ids and self._on_unheard is not None:
            self._on_unheard(ids)

    def hears(self, conversation_id: str) -> bool:
        if not self.routed:
            return True
        return self._channels.heard(self._conversation_channel + conversation_id)

    def _lost(self, channels: set[str]) -> None:
        n = len(self._conversation_channel)
        ids = [c[n:] for c in channels if c.startswith(self._conversation_channel)]
        if ids and self._on_unheard is not None:
            self._on_unheard(ids)

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._client = make_client(
            self._url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
        )
        await self._channels.start()
        await self._channels.add([self.channel])
        self._tasks = [
            asyncio.get_running_loop().create_task(self._publisher(), name="redis-bus-publisher")
        ]

    async def health(self) -> BrokerHealth:
        if self._client is None:
            return "unavailable"
        try:
            alive = bool(await asyncio.wait_for(self._client.ping(), 2))
        except (*REDIS_ERRORS, TimeoutError):
            alive = False
        return "ok" if alive and self._channels.heard(self.channel) else "unavailable"

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
                        attempt=attempt, base_s=0.1, cap_s=RETRY_CAP_S, rand=random.random()
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

    async def _send(self, batch: list[tuple[str, str]]) -> None:
        if self._cluster:  # sharded: each channel's shard, one command each, in order
            for channel, raw in batch:
                await self._client.spublish(channel, raw)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for channel, raw in batch:
                pipe.publish(channel, raw)
            await pipe.execute()

    def _received(self, raw: bytes) -> None:
        if origin_of(raw) == self._origin:
            return  # delivered locally when published; not even decoded
        try:
            _, event = decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event from redis")
            return
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
        await self._channels.aclose()
        if self._client is not None:
            await self._client.aclose()
