"""The event webhooks' sender, one per process: claims the deliveries that are due (at once
when this process recorded some, else every ``WEBHOOK_POLL_S``), sends them concurrently (at
most ``MAX_IN_FLIGHT``, and at most a few at a time to one receiver: the outbound client's
per-target limit), and forgets delivered ones after ``WEBHOOK_KEEP_S``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.webhooks import Delivery
from ezchat.services.webhooks import WebhookService

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64
PRUNE_EVERY_S = 60.0


class WebhookWorker:
    def __init__(self, service: WebhookService, *, poll_s: float) -> None:
        self._service = service
        self._poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._pruned_at = time.monotonic()
        self.results: Counter[str] = Counter()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhooks")

    async def aclose(self) -> None:
        """Stop at once: a delivery being sent keeps its lease and is sent again after it runs
        out (at least once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self._service.sender is not None:
            self._service.sender.close()

    async def _run(self) -> None:
        recorded = self._service.recorded
        while True:
            room = MAX_IN_FLIGHT - len(self._sending)
            claimed = 0
            if room > 0:
                recorded.clear()
                try:
                    claimed = self._start(await self._service.claim(room))
                    await self._prune()
                except StorageUnavailable as exc:
                    log.warning("reading the webhook deliveries failed: %s", exc.message)
                except Exception:
                    log.exception("the webhook sender failed a round")
            if claimed and claimed == room:
                continue  # more may be due
            self._wake.clear()
            waits = [self._wake.wait()] + ([recorded.wait()] if room > 0 else [])
            tasks = [asyncio.ensure_future(w) for w in waits]
            try:
                await asyncio.wait(tasks, timeout=self._poll_s, return_when="FIRST_COMPLETED")
            finally:
                for t in tasks:
                    t.cancel()

    async def _prune(self) -> None:
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            await self._service.prune()

    def _start(self, deliveries: list[Delivery]) -> int:
        loop = asyncio.get_running_loop()
        for d in deliveries:
            task = loop.create_task(self._one(d), name=f"webhook-{d.event_id}")
            self._sending.add(task)
            task.add_done_callback(self._done)
        return len(deliveries)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._wake.set()  # a group's next delivery may be due now

    async def _one(self, delivery: Delivery) -> None:
        try:
            result = await self._service.deliver(delivery)
        except StorageUnavailable as exc:
            log.warning("webhook delivery %s: %s (sent again after its lease)", delivery.key, exc)
            result = "failed"
        except Exception:
            log.exception("webhook delivery %s failed (sent again after its lease)", delivery.key)
            result = "failed"
        self.results[result] += 1
