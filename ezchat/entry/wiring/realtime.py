"""The realtime side: the hub (connections, fan-out) on the bus, the revocation feed that
closes what was revoked elsewhere, and what this process does with other processes' events."""

from __future__ import annotations

import dataclasses
from typing import Any

from ezchat.adapters.caching import Caches, apply_remote
from ezchat.config import Config
from ezchat.domain.access import Revocation
from ezchat.domain.events import AccessRevoked, Event
from ezchat.domain.messages import Message
from ezchat.entry.context import Core
from ezchat.entry.notifications import NotificationWorker
from ezchat.entry.realtime.hub import Hub
from ezchat.entry.realtime.registry import Connections
from ezchat.entry.revocations import RevocationFeed
from ezchat.entry.serialize import MessageJson
from ezchat.entry.storage import StorageStack
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock

# Messages read back for a conversation this process starts hearing after a membership change:
# those sent between the change and the subscription (milliseconds' worth).
CATCH_UP = 100


class RemoteEvents:
    """What this process does with each event another process published: update its caches,
    and count whether it concerned anyone connected here (``relevant``; with ``received`` on
    the bus, how much of what a process decodes it needed)."""

    def __init__(self, caches: Caches) -> None:
        self._caches = caches
        self._here: Connections | None = None
        self.relevant = 0

    def count_for(self, here: Connections) -> None:
        """Count the events that concern someone connected ``here`` (the hub's, once built)."""
        self._here = here

    def received(self, event: Event) -> None:
        apply_remote(self._caches, event)
        if self._here is not None and self._here.any_of(event.recipients):
            self.relevant += 1


def build_hub(
    config: Config,
    *,
    core: Core,
    storage: StorageStack,
    bus: EventBus,
    clock: Clock,
    json: MessageJson,
) -> Hub:
    stores = storage.stores

    async def conversations_of(user_id: str) -> list[str]:
        return [c.id for c in await stores.conversations.list_for_user(user_id)]

    async def catch_up(conversation_id: str, since_seq: int) -> list[Message]:
        messages, _ = await stores.messages.page(
            conversation_id, before=None, after=since_seq, limit=CATCH_UP
        )
        return messages

    hub = Hub(
        bus=bus,
        conversations_of=conversations_of,
        catch_up=catch_up,
        presence=core.presence,
        typing=core.typing,
        conversations=core.conversations,
        clock=clock,
        max_connections=config.max_connections,
        max_connections_per_user=config.max_connections_per_user,
        receipt_window_s=config.receipt_flush_ms / 1000,
        presence_window_s=config.presence_flush_ms / 1000,
        heartbeat_interval_s=config.heartbeat_interval,
        heartbeat_timeout_s=config.heartbeat_timeout,
        presence_grace_s=config.presence_grace_s,
        json=json,
        fit_caches=storage.caches.fit,
    )
    bus.subscribe(hub)
    revoked = core.revoked
    bus.subscribe(
        lambda e: (
            revoked.add(e.revocation, now=clock.now().timestamp())
            if isinstance(e, AccessRevoked)
            else None
        )
    )
    return hub


def build_feed(
    config: Config, *, core: Core, storage: StorageStack, hub: Hub, clock: Clock
) -> RevocationFeed:
    """Revocations made by any process or the admin command, read from the store: the user
    is read again, and connections using what was revoked close."""

    def revoked_elsewhere(revocation: Revocation) -> None:
        storage.caches.users.pop(revocation.user_id)
        hub.revoke(revocation)

    return RevocationFeed(
        storage.stores.revocations,
        revoked=core.revoked,
        clock=clock,
        poll_s=config.revocation_poll_s,
        apply=revoked_elsewhere,
    )


def figures(
    hub: Hub,
    storage: StorageStack,
    bus: EventBus,
    config: Config,
    notifier: NotificationWorker | None,
    remote: RemoteEvents,
) -> dict[str, Any]:
    """The app's own figures, for /api/system and /metrics."""
    return {
        "bus": {**dataclasses.asdict(bus.counts()), "relevant": remote.relevant},
        "connections": hub.connection_count,
        "online_users": hub.online_users,
        "messages_posted": hub.messages_posted,
        "deliveries": hub.deliveries,
        "slow_closed": hub.slow_closed,
        "storage": config.storage,
        **storage.figures(),
        "notifications": {
            result: notifier.results[result] if notifier else 0
            for result in ("sent", "skipped", "retry", "dead", "lost", "failed")
        },
    }
