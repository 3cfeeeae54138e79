"""The composition root: builds every part from the config, starts them in order and closes
them in reverse. The builders it calls live in ``wiring/`` (the use cases, the realtime side),
``storage.py`` (the wrapped stores), ``notifications.py`` and ``routes.py`` (the web layer)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field, fields

import psutil
import tornado.web

from ezchat.adapters.clock import SystemClock
from ezchat.adapters.memory import InProcessEventBus
from ezchat.adapters.memory.presence import LocalConnectionCounter
from ezchat.adapters.notify.webpush import public_key
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.config import Config
from ezchat.entry.context import Services
from ezchat.entry.fastlane import FastLane
from ezchat.entry.filelinks import LinkSigner
from ezchat.entry.metrics import Metrics
from ezchat.entry.notifications import NotificationWorker, build_notifier, vapid_key
from ezchat.entry.realtime.hub import Hub
from ezchat.entry.revocations import RevocationFeed
from ezchat.entry.routes import web_application
from ezchat.entry.scheduled_worker import ScheduledWorker
from ezchat.entry.serialize import MessageJson
from ezchat.entry.storage import StorageStack, backend_stores, wrap_stores
from ezchat.entry.webhook_worker import WebhookWorker
from ezchat.entry.wiring.core import build_core
from ezchat.entry.wiring.files import FileSweeper, file_store
from ezchat.entry.wiring.privacy import Housekeeper
from ezchat.entry.wiring.realtime import RemoteEvents, build_feed, build_hub, figures
from ezchat.entry.wiring.webhooks import webhook_worker
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.files import FileStore
from ezchat.ports.lifecycle import Lifecycle
from ezchat.ports.limits import RateLimits
from ezchat.ports.presence import ConnectionCounter
from ezchat.ports.security import OneTimeKeys, PasswordHasher
from ezchat.ports.storage import Stores


class _Closes:
    """A part that only needs closing (the hasher's threads, the hub)."""

    def __init__(self, part: PasswordHasher | Hub) -> None:
        self._part = part

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        await self._part.aclose()


@dataclass
class EzChatApp:
    application: tornado.web.Application
    # What the HTTP server serves: the application behind the fast lane for newest pages.
    http: FastLane
    services: Services
    bus: EventBus
    hub: Hub
    storage: StorageStack
    counter: ConnectionCounter
    hasher: PasswordHasher
    once: OneTimeKeys
    feed: RevocationFeed
    notifier: NotificationWorker | None
    webhooks: WebhookWorker
    scheduled: ScheduledWorker
    rate_limits: RateLimits
    sweeper: FileSweeper
    housekeeper: Housekeeper
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def parts(self, *, serving: bool) -> list[Lifecycle]:
        """In starting order: the hasher's threads, the bus, the connection counter, the
        one-time keys, the limits, the storage (schema, writers), the uploads' clean-up, the
        revocation feed, the hub
        (which closes first: clients get 1001 before anything stops), and, when serving, the
        notification worker and the metrics' event-loop lag probe."""
        parts: list[Lifecycle] = [
            _Closes(self.hasher),
            self.bus,
            self.counter,
            self.once,
            self.rate_limits,
            self.storage,
            *([self.services.previews] if self.services.previews else []),
            self.sweeper,
            self.feed,
            _Closes(self.hub),
        ]
        if serving and self.notifier is not None:
            parts.append(self.notifier)
        if serving:
            parts += [self.webhooks, self.scheduled, self.housekeeper]
        if serving:
            parts.append(self.services.metrics)  # its event-loop lag probe
        return parts

    async def start(self, *, serving: bool = True) -> None:
        """Start every part in order, registering each one's teardown as it starts, so that
        ``aclose`` stops them in the reverse order and a failed start stops what it started."""
        async with AsyncExitStack() as stack:
            for part in self.parts(serving=serving):
                await part.start()
                stack.push_async_callback(part.aclose)
            config = self.services.config
            if serving and config.process_count == 1 and not config.redis_url:
                # One process, no broker: no one can be connected anywhere yet.
                await self.storage.stores.users.clear_presence()
            psutil.cpu_percent(interval=None)  # the first reading only starts the measurement
            self._stack = stack.pop_all()

    async def aclose(self) -> None:
        """Everything ``start`` started, in reverse: WebSocket clients get 1001, queued
        messages and pointers are written, storage closes, then the counter, the bus and the
        hasher's threads."""
        await self._stack.aclose()


def make_app(
    config: Config,
    *,
    stores: Stores | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    files: FileStore | None = None,
) -> EzChatApp:
    """Build the application; call ``start()`` before serving. Anything passed in is used as
    given; the rest is built from ``config``."""
    clock = clock or SystemClock()
    hasher = hasher or ScryptPasswordHasher(n=config.password_hash_n)
    metrics = Metrics()
    storage = wrap_stores(config, stores or backend_stores(config), metrics)
    counter: ConnectionCounter = LocalConnectionCounter()
    remote = RemoteEvents(storage.caches)
    if bus is None and config.redis_url:
        from ezchat.adapters.redis import redis_bus_and_counter

        bus, counter = redis_bus_and_counter(
            config, on_remote=remote.received, on_unheard=storage.caches.unheard
        )
    bus = bus or InProcessEventBus()
    storage.caches.hear_through(bus.hears)  # the bus is built after the caches it updates
    core = build_core(
        config,
        stores=storage.stores,
        bus=bus,
        counter=counter,
        clock=clock,
        hasher=hasher,
        blobs=files or file_store(config),
    )
    vapid = vapid_key(config) if config.web_push else None
    notifier = build_notifier(
        config, stores=storage.stores, sessions=core.auth.still_works, clock=clock, vapid=vapid
    )
    json = MessageJson()
    hub = build_hub(config, core=core, storage=storage, bus=bus, clock=clock, json=json)
    remote.count_for(hub.connections)
    signer = LinkSigner(core.files.links, clock)
    hub.connections.personal = signer.frame
    services = Services(
        **{f.name: getattr(core, f.name) for f in fields(core)},
        config=config,
        vapid_public_key=public_key(vapid) if vapid is not None else None,
        clock=clock,
        stores=storage.stores,
        bus=bus,
        metrics=metrics,
        snapshot=lambda: figures(hub, storage, bus, config, notifier, remote),
        json=json,
        signer=signer,
    )
    metrics.add_collector(services.snapshot)
    application = web_application(services, hub)
    return EzChatApp(
        application=application,
        http=FastLane(application, services),
        services=services,
        bus=bus,
        hub=hub,
        storage=storage,
        counter=counter,
        hasher=hasher,
        once=core.once,
        feed=build_feed(config, core=core, storage=storage, hub=hub, clock=clock),
        notifier=notifier,
        webhooks=webhook_worker(config, core.webhooks),
        scheduled=ScheduledWorker(core.scheduled, poll_s=config.scheduled_poll_s),
        rate_limits=core.rate_limits,
        sweeper=FileSweeper(core.files),
        housekeeper=Housekeeper(core.sweeper, core.exports, every_s=config.retention_poll_s),
    )
