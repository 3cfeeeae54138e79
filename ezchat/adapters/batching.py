"""Group commit: message sends that arrive together are written together (and presence
changes, ``BatchedPresenceStore``).

A wrapper implementing ``MessageStore``: ``add`` queues the message and waits for the batch it
joins to be durable. One writer takes up to ``max_batch`` queued messages at a time; while one
batch is being written the next one gathers, so under load batches grow on their own and with
no load a lone message waits at most ``max_delay_s``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from ezchat.adapters.forwarding import ForwardingMessageStore, ForwardingUserStore
from ezchat.domain.errors import EzChatError, StorageUnavailable, TransientStorageError
from ezchat.domain.messages import Message, NewMessage
from ezchat.domain.model import Presence, PresenceChange, User
from ezchat.ports.storage import MessageStore, UserStore

log = logging.getLogger(__name__)

Pending = tuple[NewMessage, "asyncio.Future[tuple[Message, bool]]"]


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the store is out of reach (after the guard's retries), rather than
    that something in the request was wrong."""
    while exc is not None:
        if isinstance(exc, TransientStorageError):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


class GroupCommitMessageStore(ForwardingMessageStore):
    """Only ``add`` changes; every other call goes straight to the store."""

    def __init__(
        self,
        inner: MessageStore,
        *,
        max_batch: int,
        max_delay_s: float,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self._max_batch = max_batch
        self._delay = max_delay_s
        self._on_batch = on_batch
        self._queue: list[Pending] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.batched_messages = 0

    async def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(
                self._run(), name="message-group-commit"
            )

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        if self._closing or self._writer is None:
            raise StorageUnavailable("the message writer is not running")
        future: asyncio.Future[tuple[Message, bool]] = asyncio.get_running_loop().create_future()
        self._queue.append((new, future))
        self._wakeup.set()
        if on_queued is not None:  # the batches are written in turn: its place is fixed now
            on_queued()
        return await future

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self._delay > 0 and len(self._queue) < self._max_batch and not self._closing:
                await asyncio.sleep(self._delay)  # let a batch gather
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            await self._write(batch)

    async def _write(self, batch: list[Pending]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            results = await self._add_many([new for new, _ in batch])
        except Exception as exc:  # the whole write failed: every sender learns it, none is acked
            error = exc if isinstance(exc, EzChatError) else StorageUnavailable(str(exc))
            if not isinstance(exc, EzChatError):
                log.exception("group commit of %d messages failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.batches += 1
        self.batched_messages += len(batch)
        if self._on_batch is not None:
            self._on_batch(len(batch), loop.time() - started)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the sender gave up waiting; the message is stored anyway
                continue
            if isinstance(result, EzChatError):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _add_many(self, news: list[NewMessage]) -> list[tuple[Message, bool] | EzChatError]:
        """The batch in one write; when that write fails for any reason but the store being
        out of reach, each message is written alone, so that one sender's bad message fails
        that sender only and never the others sharing its batch."""
        try:
            return await self._inner.add_many(news)
        except Exception as exc:
            if len(news) == 1 or is_outage(exc):
                raise
            log.warning("a batch of %d messages failed (%r); writing each alone", len(news), exc)
        out: list[tuple[Message, bool] | EzChatError] = []
        for new in news:
            try:
                out.extend(await self._inner.add_many([new]))
            except EzChatError as exc:
                out.append(exc)
            except Exception as exc:
                log.exception("writing one message failed")
                out.append(StorageUnavailable(f"storage error: {type(exc).__name__}"))
        return out

    async def aclose(self) -> None:
        """Write everything queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._writer is not None:
            await self._writer
            self._writer = None


class BatchedPresenceStore(ForwardingUserStore):
    """Group commit of presence: ``set_presence`` calls that arrive together (a crowd
    reconnecting, each going online) are written as one ``set_presence_many``, and each caller
    waits for the batch it joined. No delay is added: while one batch is written the next
    gathers, so batches grow with the load. Every other call goes straight to the store."""

    def __init__(self, inner: UserStore, *, max_batch: int = 500) -> None:
        super().__init__(inner)
        self._max_batch = max_batch
        self._queue: list[tuple[PresenceChange, asyncio.Future[User | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        future: asyncio.Future[User | None] = asyncio.get_running_loop().create_future()
        self._queue.append((PresenceChange(user_id, status, last_seen), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write(), name="presence-group-commit"
            )
        return await future

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                users = await self._inner.set_presence_many([change for change, _ in batch])
            except Exception as exc:  # each caller gets the store's error, as it would alone
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for change, future in batch:
                if not future.done():
                    future.set_result(users.get(change.user_id))
