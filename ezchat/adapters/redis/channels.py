"""The pub/sub channels one process listens to, which change as it runs.

One connection to a single Redis; on a Redis Cluster one connection per node that holds a
channel wanted (sharded pub/sub: SSUBSCRIBE, grouped by slot, as a command may not span slots).
Redis confirms each subscription in order on the connection, so the channels confirmed are
known exactly: a channel counts as heard from its confirmation on, and only while its last
command was a subscription (a quick unsubscribe and subscribe again is not heard until the
second confirmation). A lost connection loses its channels (``on_lost``) until they are
confirmed again on a new one; a cluster that moved a slot, or answered with an error, is read
again and every channel subscribed again.

redis-py's PubSub objects track subscriptions themselves and resubscribe on their own; here the
commands and their confirmations are this module's, on plain connections, so that confirmation
can be awaited and loss reported."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

import redis.asyncio as redis
from redis.crc import key_slot

from ezchat.adapters.redis.client import REDIS_ERRORS, is_cluster, make_client, plain_url
from ezchat.domain.backoff import backoff_delay

log = logging.getLogger(__name__)

CHUNK = 500  # channels per command
PING_S = 10.0  # a quiet connection is pinged this often...
READ_TIMEOUT_S = 3 * PING_S  # ...so one silent this long is dead
# Reconnects back off to at most this: a cluster whose replica was just promoted is heard again
# within it (one connection attempt per process that often while Redis is away costs nothing).
RETRY_CAP_S = 2.0


class Reset(Exception):
    """The cluster's slots moved: read the slot map again and subscribe everything again."""


class _Connection:
    """One pub/sub connection and the channels subscribed on it."""

    def __init__(self, conn: Any, *, sharded: bool) -> None:
        self.conn = conn
        self.sharded = sharded
        self.sent: dict[str, deque[bool]] = {}  # per channel: commands awaiting confirmation
        self.confirmed: set[str] = set()
        self.lock = asyncio.Lock()  # commands go out whole and in the order recorded

    async def command(self, subscribe: bool, channels: list[str]) -> None:
        if self.sharded:
            name = "SSUBSCRIBE" if subscribe else "SUNSUBSCRIBE"
        else:
            name = "SUBSCRIBE" if subscribe else "UNSUBSCRIBE"
        async with self.lock:
            for group in _groups(channels, sharded=self.sharded):
                for channel in group:
                    self.sent.setdefault(channel, deque()).append(subscribe)
                await self.conn.send_command(name, *group, check_health=False)

    def confirm(self, channel: str) -> bool | None:
        """A confirmation came: the channel's state, True when now heard, None when it was not
        asked for (the server dropped it by itself)."""
        queue = self.sent.get(channel)
        if not queue:
            return None
        subscribed = queue.popleft()
        if queue:
            return False  # another command follows: its confirmation decides
        del self.sent[channel]
        if subscribed:
            self.confirmed.add(channel)
        else:
            self.confirmed.discard(channel)
        return subscribed


def _groups(channels: list[str], *, sharded: bool) -> Iterable[list[str]]:
    if not sharded:
        for i in range(0, len(channels), CHUNK):
            yield channels[i : i + CHUNK]
        return
    by_slot: defaultdict[int, list[str]] = defaultdict(list)
    for channel in channels:
        by_slot[key_slot(channel.encode())].append(channel)
    for group in by_slot.values():
        for i in range(0, len(group), CHUNK):
            yield group[i : i + CHUNK]


class Channels:
    def __init__(
        self,
        url: str,
        *,
        on_message: Callable[[bytes], None],
        on_lost: Callable[[set[str]], None],
        confirm_timeout_s: float = 5.0,
    ) -> None:
        self._url = url
        self._cluster = is_cluster(url)
        self._on_message = on_message
        self._on_lost = on_lost
        self._confirm_timeout_s = confirm_timeout_s
        self.wanted: set[str] = set()
        self._conns: dict[str, _Connection] = {}  # by node ("" on a single Redis)
        self._where: dict[str, str] = {}  # channel -> node it is subscribed on
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._cluster_client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()  # connected, or trying to be: worth waiting for
        self._changed = asyncio.Event()  # what is wanted changed, or a connection failed
        self._failed = False
        self.subscribe_commands = 0

    # -- what callers see --------------------------------------------------------------------

    def heard(self, channel: str) -> bool:
        """Whether every message published on ``channel`` from now on reaches this process
        (its subscription is confirmed on a live connection)."""
        node = self._where.get(channel)
        conn = self._conns.get(node) if node is not None else None
        return (
            conn is not None
            and channel in conn.confirmed
            and channel in self.wanted
            and not self._failed
        )

    @property
    def confirmed_count(self) -> int:
        return sum(len(c.confirmed) for c in self._conns.values())

    async def add(self, channels: Iterable[str]) -> None:
        """Listen to these channels too; returns once each is confirmed, or at once while
        Redis cannot be reached (they are subscribed when it is back), or after a timeout."""
        new = [c for c in dict.fromkeys(channels) if c not in self.wanted]
        if not new:
            return
        self.wanted.update(new)
        self._changed.set()
        if not self._up.is_set():
            return
        loop = asyncio.get_running_loop()
        waits = []
        for channel in new:
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(channel, []).append(future)
            waits.append(future)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), self._confirm_timeout_s)

    def remove(self, channels: Iterable[str]) -> None:
        """Stop listening to these channels (in the background)."""
        gone = [c for c in dict.fromkeys(channels) if c in self.wanted]
        if not gone:
            return
        self.wanted.difference_update(gone)
        for channel in gone:
            self._wake(channel)
        self._changed.set()

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="redis-channels")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._close_all()
        if self._cluster_client is not None:
            await self._cluster_client.aclose()

    async def _run(self) -> None:
        """The one sender of commands: brings what is subscribed to what is wanted, as often as
        that changes; on any failure loses everything and starts again."""
        attempt = 0
        while True:
            self._failed = False
            try:
                await self._open()
                self._up.set()
                if attempt:
                    log.warning("redis channels reconnected")
                attempt = 0
                while not self._failed:
                    self._changed.clear()
                    await self._reconcile()
                    if not self._failed:
                        await self._changed.wait()
            except (*REDIS_ERRORS, Reset) as exc:
                log.warning("redis channels lost (%s)", exc)
            except Exception:  # never let listening stop for good
                log.exception("redis channels failed; starting again")
            self._up.clear()
            await self._close_all()
            attempt += 1
            delay = backoff_delay(
                attempt=attempt, base_s=0.1, cap_s=RETRY_CAP_S, rand=random.random()
            )
            await asyncio.sleep(delay)

    async def _open(self) -> None:
        if self._cluster:
            # A new client each time, so the slot map is read anew: a client initializes once,
            # and after a primary died it would go on routing its channels to the dead node.
            old, self._cluster_client = (
                self._cluster_client,
                make_client(
                    self._url,
                    known=self._cluster_client,
                    socket_connect_timeout=2,
                    socket_timeout=5,
                ),
            )
            if old is not None:
                with contextlib.suppress(*REDIS_ERRORS):
                    await old.aclose()
            await self._cluster_client.initialize()

    async def _reconcile(self) -> None:
        """Subscribe what is wanted and not subscribed, unsubscribe the reverse."""
        extra = [c for c in self._where if c not in self.wanted]
        missing = [c for c in self.wanted if c not in self._where]
        by_node: defaultdict[str, list[str]] = defaultdict(list)
        for channel in extra:
            by_node[self._where.pop(channel)].append(channel)
        for node, group in by_node.items():
            conn = self._conns.get(node)
            if conn is not None:
                await conn.command(False, group)
        by_node.clear()
        for channel in missing:
            node = self._node_of(channel)
            self._where[channel] = node
            by_node[node].append(channel)
        for node, group in by_node.items():
            conn = await self._connection(node)
            self.subscribe_commands += 1
            await conn.command(True, group)

    def _node_of(self, channel: str) -> str:
        if not self._cluster:
            return ""
        node = self._cluster_client.get_node_from_key(channel)
        return f"{node.host}:{node.port}"

    async def _connection(self, node: str) -> _Connection:
        conn = self._conns.get(node)
        if conn is not None:
            return conn
        pool = redis.ConnectionPool.from_url(plain_url(self._url))
        kwargs: dict[str, Any] = {
            **pool.connection_kwargs,
            "socket_connect_timeout": 2,
            "socket_timeout": READ_TIMEOUT_S,
        }
        if self._cluster:
            host, port = node.rsplit(":", 1)
            kwargs.update(host=host, port=int(port))
        connection: Any = pool.connection_class(**kwargs)
        await connection.connect()
        # Over RESP3 (redis-py's default) pub/sub replies are pushes, handed to a handler
        # rather than returned: as redis-py's own PubSub does, make the handler return them as
        # they are. Over RESP2 they are plain replies.
        set_handler = getattr(connection._parser, "set_pubsub_push_handler", None)
        if set_handler is not None:
            set_handler(_as_is)
        conn = _Connection(connection, sharded=self._cluster)
        self._conns[node] = conn
        loop = asyncio.get_running_loop()
        self._readers[node] = loop.create_task(self._read(node, conn), name=f"redis-sub-{node}")
        return conn

    async def _read(self, node: str, conn: _Connection) -> None:
        pinger = asyncio.get_running_loop().create_task(self._ping(conn))
        try:
            while True:
                reply = await conn.conn.read_response(push_request=True)
                self._reply(conn, reply)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of a connection means starting again
            self._fail(exc)
        finally:
            pinger.cancel()

    async def _ping(self, conn: _Connection) -> None:
        with contextlib.suppress(*REDIS_ERRORS):
            while True:
                await asyncio.sleep(PING_S)
                async with conn.lock:
                    await conn.conn.send_command("PING", check_health=False)

    def _reply(self, conn: _Connection, reply: Any) -> None:
        if not isinstance(reply, list) or len(reply) < 2:
            return
        kind = reply[0]
        if kind in (b"message", b"smessage"):
            self._on_message(reply[2])
            return
        if kind in (b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe"):
            channel = reply[1].decode()
            state = conn.confirm(channel)
            if state is None and kind == b"sunsubscribe" and channel in self.wanted:
                raise Reset(f"the cluster dropped {channel} (its slot moved)")
            if state:
                self._wake(channel)

    def _wake(self, channel: str) -> None:
        for future in self._waiters.pop(channel, ()):
            if not future.done():
                future.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self._failed:
            log.warning("redis channels failing: %s", exc)
        self._failed = True
        self._changed.set()

    async def _close_all(self) -> None:
        lost = {c for conn in self._conns.values() for c in conn.confirmed}
        for task in self._readers.values():
            task.cancel()
        await asyncio.gather(*self._readers.values(), return_exceptions=True)
        for conn in self._conns.values():
            with contextlib.suppress(*REDIS_ERRORS):
                await conn.conn.disconnect()
        self._readers.clear()
        self._conns.clear()
        self._where.clear()
        for channel in list(self._waiters):
            self._wake(channel)  # the callers go on; the channels come back with the connection
        if lost:
            self._on_lost(lost)


async def _as_is(reply: Any) -> Any:
    return reply
