"""Forwarding bases of the apps' and admins' stores: server keys, event webhooks, incoming
webhooks, invites, the audit log."""

from __future__ import annotations

from datetime import datetime

from ezchat.adapters.forwarding import Forwarding
from ezchat.domain.apps import ServerKey
from ezchat.domain.audit import AuditEntry
from ezchat.domain.invites import Invite
from ezchat.domain.webhooks import Delivery, IncomingHook, Webhook
from ezchat.ports.apps import ServerKeyStore
from ezchat.ports.audit import AuditStore
from ezchat.ports.invites import InviteStore
from ezchat.ports.webhooks import IncomingHookStore, WebhookStore


class ForwardingServerKeyStore(Forwarding):
    def __init__(self, inner: ServerKeyStore) -> None:
        self._inner = inner

    async def add(self, key: ServerKey) -> None:
        await self._forward("add", lambda: self._inner.add(key))

    async def by_hash(self, key_hash: str) -> ServerKey | None:
        return await self._forward("by_hash", lambda: self._inner.by_hash(key_hash))

    async def list(self) -> list[ServerKey]:
        return await self._forward("list", self._inner.list)

    async def revoke(self, name: str, at: datetime) -> bool:
        return await self._forward("revoke", lambda: self._inner.revoke(name, at))


class ForwardingWebhookStore(Forwarding):
    def __init__(self, inner: WebhookStore) -> None:
        self._inner = inner

    async def add(self, webhook: Webhook) -> None:
        await self._forward("add", lambda: self._inner.add(webhook))

    async def all(self) -> list[Webhook]:
        return await self._forward("all", self._inner.all)

    async def remove(self, webhook_id: str) -> bool:
        return await self._forward("remove", lambda: self._inner.remove(webhook_id))

    async def record(self, deliveries: list[Delivery]) -> None:
        await self._forward("record", lambda: self._inner.record(deliveries))

    async def claimable(self, *, now: float, limit: int) -> list[Delivery]:
        return await self._forward("claimable", lambda: self._inner.claimable(now=now, limit=limit))

    async def lease(self, delivery: Delivery, *, until: float, token: str) -> Delivery | None:
        return await self._forward(
            "lease", lambda: self._inner.lease(delivery, until=until, token=token)
        )

    async def settle(self, delivery: Delivery) -> bool:
        return await self._forward("settle", lambda: self._inner.settle(delivery))

    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        return await self._forward("deliveries", lambda: self._inner.deliveries(webhook_id, limit))

    async def prune(self, *, before: float) -> int:
        return await self._forward("prune", lambda: self._inner.prune(before=before))


class ForwardingIncomingHookStore(Forwarding):
    def __init__(self, inner: IncomingHookStore) -> None:
        self._inner = inner

    async def add(self, hook: IncomingHook) -> None:
        await self._forward("add", lambda: self._inner.add(hook))

    async def by_token_hash(self, token_hash: str) -> IncomingHook | None:
        return await self._forward("by_token_hash", lambda: self._inner.by_token_hash(token_hash))

    async def for_conversation(self, conversation_id: str) -> list[IncomingHook]:
        return await self._forward(
            "for_conversation", lambda: self._inner.for_conversation(conversation_id)
        )

    async def remove(self, hook_id: str) -> IncomingHook | None:
        return await self._forward("remove", lambda: self._inner.remove(hook_id))


class ForwardingInviteStore(Forwarding):
    def __init__(self, inner: InviteStore) -> None:
        self._inner = inner

    async def add(self, invite: Invite) -> None:
        await self._forward("add", lambda: self._inner.add(invite))

    async def use(self, code_hash: str, *, now: float) -> Invite | None:
        return await self._forward("use", lambda: self._inner.use(code_hash, now=now))

    async def give_back(self, invite_id: str) -> None:
        await self._forward("give_back", lambda: self._inner.give_back(invite_id))

    async def all(self) -> list[Invite]:
        return await self._forward("all", lambda: self._inner.all())

    async def remove(self, invite_id: str) -> bool:
        return await self._forward("remove", lambda: self._inner.remove(invite_id))


class ForwardingAuditStore(Forwarding):
    def __init__(self, inner: AuditStore) -> None:
        self._inner = inner

    async def append(self, entry: AuditEntry) -> None:
        await self._forward("append", lambda: self._inner.append(entry))

    async def page(
        self,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        return await self._forward(
            "page",
            lambda: self._inner.page(before=before, actor=actor, action=action, limit=limit),
        )
