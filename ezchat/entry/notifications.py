"""The notification worker of each serving process, and the channels the config turns on.

Every process polls the outbox every ``NOTIFY_POLL_S`` (at once again while it finds more than
it has room for), and delivers what it claimed concurrently, up to ``MAX_IN_FLIGHT`` entries.
It never waits for a round to end: an entry whose targets are slow holds only its own place,
and the next due entries are claimed as soon as places free. Claims are leases, so processes
sharing a store never send one entry at the same time, and an entry whose process died is taken
up again when its lease runs out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from ezchat.adapters.notify.webhook import WebhookChannel
from ezchat.adapters.notify.webpush import (
    SessionCheck,
    WebPushChannel,
    load_vapid,
    new_private_key_pem,
)
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.config import Config, ConfigError, kept_secret
from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.outbox import Notification
from ezchat.ports.clock import Clock
from ezchat.ports.notify import Channel
from ezchat.ports.storage import PushSubscriptionStore, Stores
from ezchat.services.notifications import DeliveryPolicy, NotificationService

log = logging.getLogger("ezchat.notify")

# Notifications being sent at once by one process. Each mostly waits on the network (its
# encryption runs on a worker thread), so a few slow targets must not hold the rest back; the
# bound keeps a burst of entries falling due together (every offline member of a busy group)
# interleaved with the fan-out sharing the event loop.
MAX_IN_FLIGHT = 32


def vapid_key(config: Config) -> Any:
    """VAPID_PRIVATE_KEY, or the key generated on first start and kept in DATA_DIR (browsers'
    subscriptions are bound to it: it must outlive restarts)."""
    pem = config.vapid_private_key or kept_secret(
        config, "vapid_private_key.pem", new_private_key_pem, "VAPID_PRIVATE_KEY"
    )
    try:
        return load_vapid(pem)
    except ValueError as exc:
        raise ConfigError(f"VAPID_PRIVATE_KEY: {exc}") from None


def channels(
    config: Config,
    *,
    clock: Clock,
    subscriptions: PushSubscriptionStore,
    vapid: Any | None,
    sessions: SessionCheck,
) -> tuple[list[Channel], OutboundHttp | None]:
    """The channels ``config`` turns on, and the guarded HTTP client they share (to close)."""
    if not config.notifications:
        return [], None
    http = OutboundHttp(allow_private=config.outbound_allow_private)
    out: list[Channel] = []
    if config.notify_webhook_url:
        assert config.notify_webhook_secret
        out.append(
            WebhookChannel(
                url=config.notify_webhook_url,
                secret=config.notify_webhook_secret,
                timeout_s=config.notify_timeout_s,
                clock=clock,
                http=http,
            )
        )
    if config.web_push and vapid is not None:
        out.append(
            WebPushChannel(
                subscriptions=subscriptions,
                sessions=sessions,
                vapid=vapid,
                subject=config.vapid_subject,
                ttl_s=config.push_ttl_s,
                timeout_s=config.notify_timeout_s,
                clock=clock,
                http=http,
            )
        )
    return out, http


def build_notifier(
    config: Config, *, stores: Stores, sessions: SessionCheck, clock: Clock, vapid: Any | None
) -> NotificationWorker | None:
    """The outbox worker over the channels ``config`` turns on; None when none is."""
    found, http = channels(
        config, clock=clock, subscriptions=stores.push, vapid=vapid, sessions=sessions
    )
    if not found:
        return None
    service = NotificationService(
        outbox=stores.outbox,
        conversations=stores.conversations,
        messages=stores.messages,
        users=stores.users,
        contacts=stores.contacts,
        channels=found,
        clock=clock,
        policy=DeliveryPolicy(
            lease_s=config.notify_lease_s,
            max_attempts=config.notify_max_attempts,
            retry_base_s=config.notify_retry_base_s,
            retry_cap_s=config.notify_retry_max_s,
        ),
    )
    return NotificationWorker(service, poll_s=config.notify_poll_s, http=http)


class NotificationWorker:
    def __init__(
        self,
        service: NotificationService,
        *,
        poll_s: float,
        http: OutboundHttp | None = None,
    ) -> None:
        self._service = service
        self._poll_s = poll_s
        self._http = http
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._freed = asyncio.Event()
        self.results: Counter[str] = Counter()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="notifications")

    async def aclose(self) -> None:
        """Stop at once: an entry being sent keeps its lease and is sent again after it runs
        out (at least once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self._http is not None:
            self._http.close()

    async def _run(self) -> None:
        while True:
            room = MAX_IN_FLIGHT - len(self._sending)
            if room <= 0:  # every place taken: wait for one to free
                self._freed.clear()
                await self._freed.wait()
                continue
            claimed = 0
            try:
                claimed = self._start(await self._service.claim(room))
            except StorageUnavailable as exc:
                log.warning("reading the notification outbox failed: %s", exc.message)
            except Exception:
                log.exception("the notification worker failed a round")
            if claimed and claimed == min(room, self._service.policy.batch):
                continue  # more may be due: claim again at once
            await asyncio.sleep(self._poll_s)

    def _start(self, entries: list[Notification]) -> int:
        loop = asyncio.get_running_loop()
        for entry in entries:
            task = loop.create_task(self._one(entry), name=f"notify-{entry.id}")
            self._sending.add(task)
            task.add_done_callback(self._done)
        return len(entries)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._freed.set()

    async def _one(self, entry: Notification) -> None:
        result: str
        try:
            result = await self._service.deliver(entry)
        except StorageUnavailable as exc:
            log.warning("notification %s: %s (retried when its lease runs out)", entry.id, exc)
            result = "failed"
        except Exception:
            log.exception("notification %s failed (retried when its lease runs out)", entry.id)
            result = "failed"
        self.results[result] += 1
