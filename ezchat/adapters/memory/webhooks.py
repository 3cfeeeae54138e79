"""Memory webhooks: the reference behaviour of the webhook ports."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain import webhooks
from ezchat.domain.webhooks import Delivery, DeliveryState, IncomingHook, Webhook


class MemoryWebhookStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, webhook: Webhook) -> None:
        self._db.webhooks[webhook.id] = webhook

    async def all(self) -> list[Webhook]:
        return sorted(self._db.webhooks.values(), key=lambda w: (w.created_at, w.id))

    async def remove(self, webhook_id: str) -> bool:
        if self._db.webhooks.pop(webhook_id, None) is None:
            return False
        for key in [k for k in self._db.deliveries if k[0] == webhook_id]:
            del self._db.deliveries[key]
        return True

    async def record(self, deliveries: list[Delivery]) -> None:
        kept = self._db.deliveries
        for d in deliveries:
            if d.key in kept or d.webhook_id not in self._db.webhooks:
                continue
            self._db.delivery_position += 1
            kept[d.key] = replace(d, position=self._db.delivery_position)

    async def claimable(self, *, now: float, limit: int) -> list[Delivery]:
        pending = [d for d in self._db.deliveries.values() if d.state is DeliveryState.PENDING]
        return webhooks.claimable(pending, now)[:limit]

    async def lease(self, delivery: Delivery, *, until: float, token: str) -> Delivery | None:
        kept = self._db.deliveries.get(delivery.key)
        if (
            kept is None
            or kept.state is not DeliveryState.PENDING
            or kept.lease_token != delivery.lease_token
        ):
            return None
        leased = replace(kept, lease_until=until, lease_token=token)
        self._db.deliveries[delivery.key] = leased
        return leased

    async def settle(self, delivery: Delivery) -> bool:
        kept = self._db.deliveries.get(delivery.key)
        if kept is None or kept.lease_token != delivery.lease_token:
            return False
        self._db.deliveries[delivery.key] = replace(delivery, lease_until=0.0, lease_token=None)
        return True

    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        mine = [d for d in self._db.deliveries.values() if d.webhook_id == webhook_id]
        return sorted(mine, key=lambda d: -d.position)[:limit]

    async def prune(self, *, before: float) -> int:
        gone = [
            k
            for k, d in self._db.deliveries.items()
            if d.state is DeliveryState.DELIVERED and (d.finished_at or 0.0) < before
        ]
        for k in gone:
            del self._db.deliveries[k]
        return len(gone)


class MemoryIncomingHookStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, hook: IncomingHook) -> None:
        self._db.incoming_hooks[hook.id] = hook

    async def by_token_hash(self, token_hash: str) -> IncomingHook | None:
        for h in self._db.incoming_hooks.values():
            if h.token_hash == token_hash:
                return h
        return None

    async def for_conversation(self, conversation_id: str) -> list[IncomingHook]:
        found = [
            h for h in self._db.incoming_hooks.values() if h.conversation_id == conversation_id
        ]
        return sorted(found, key=lambda h: (h.created_at, h.id))

    async def remove(self, hook_id: str) -> IncomingHook | None:
        return self._db.incoming_hooks.pop(hook_id, None)
