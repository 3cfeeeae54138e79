"""The sender of scheduled messages, one per process: every ``SCHEDULED_POLL_S`` it claims the
items that are due (any process's: the claim decides) and sends them concurrently, at most
``MAX_IN_FLIGHT`` at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.scheduled import Scheduled
from ezchat.services.scheduled import ScheduledService

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 32


class ScheduledWorker:
    def __init__(self, service: ScheduledService, *, poll_s: float) -> None:
        self._service = service
        self._poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.results: Counter[str] = Counter()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="scheduled")

    async def aclose(self) -> None:
        """Stop at once: an item being sent keeps its lease and is sent after it runs out (the
        send is idempotent: its client_id)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            room = MAX_IN_FLIGHT - len(self._sending)
            claimed = 0
            if room > 0:
                try:
                    claimed = self._start(await self._service.claim(room))
                except StorageUnavailable as exc:
                    log.warning("reading the scheduled messages failed: %s", exc.message)
                except Exception:
                    log.exception("the scheduled sender failed a round")
            if not (claimed and claimed == room):  # a full round: more may be due at once
                await asyncio.sleep(self._poll_s)

    def _start(self, items: list[Scheduled]) -> int:
        loop = asyncio.get_running_loop()
        for item in items:
            task = loop.create_task(self._one(item), name=f"scheduled-{item.id}")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(items)

    async def _one(self, item: Scheduled) -> None:
        try:
            result = await self._service.send(item)
        except Exception:
            log.exception("scheduled message %s failed (sent after its lease)", item.id)
            result = "error"
        self.results[result] += 1
