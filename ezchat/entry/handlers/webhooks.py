"""Webhooks: the app's event webhooks under /api/server (a server key), and incoming webhooks
(made by a group's admins or a server key; posted to at /hooks/TOKEN with the token alone)."""

from __future__ import annotations

from typing import Any

from ezchat.domain.webhooks import Delivery, DeliveryState, IncomingHook, Webhook
from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.handlers.server import ServerHandler

HOOK_PATH = "/hooks/"


def webhook_json(w: Webhook, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id,
        "url": w.url,
        "events": list(w.events),
        "created_at": serialize.iso_epoch(w.created_at),
    }
    if secret:
        out["secret"] = w.secret
    return out


def delivery_json(d: Delivery) -> dict[str, Any]:
    pending = d.state is DeliveryState.PENDING
    return {
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.state.value,
        "attempts": d.attempts,
        "last_status_code": d.last_status,
        "last_error": d.last_error,
        "created_at": serialize.iso_epoch(d.created_at),
        "next_attempt_at": serialize.iso_epoch(d.next_at) if pending else None,
        "finished_at": serialize.iso_epoch(d.finished_at) if d.finished_at else None,
    }


def hook_json(h: IncomingHook, token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": h.id,
        "name": h.name,
        "conversation_id": h.conversation_id,
        "bot_id": h.bot_id,
        "created_at": serialize.iso_epoch(h.created_at),
    }
    if token is not None:
        out["url"] = HOOK_PATH + token
    return out


class WebhooksHandler(ServerHandler):
    async def post(self) -> None:
        body = self.body()
        hook = await self.services.webhooks.create(
            body.data.get("url"), body.data.get("events"), body.data.get("secret")
        )
        self.reply(webhook_json(hook, secret=True), 201)

    async def get(self) -> None:
        hooks = await self.services.webhooks.all()
        self.reply({"webhooks": [webhook_json(w) for w in hooks]})


class WebhookHandler(ServerHandler):
    async def delete(self, webhook_id: str) -> None:
        await self.services.webhooks.remove(webhook_id)
        self.no_content()


class DeliveriesHandler(ServerHandler):
    async def get(self, webhook_id: str) -> None:
        found = await self.services.webhooks.deliveries(webhook_id, self.limit())
        self.reply({"deliveries": [delivery_json(d) for d in found]})


class IncomingHooksHandler(ApiHandler):
    async def post(self, conversation_id: str) -> None:
        await incoming_create(self, self.user.id, conversation_id)

    async def get(self, conversation_id: str) -> None:
        await incoming_list(self, self.user.id, conversation_id)


class IncomingHookHandler(ApiHandler):
    async def delete(self, conversation_id: str, hook_id: str) -> None:
        await self.services.incoming_hooks.remove(self.user.id, conversation_id, hook_id)
        self.no_content()


class ServerIncomingHooksHandler(ServerHandler):
    async def post(self, conversation_id: str) -> None:
        await incoming_create(self, None, conversation_id)

    async def get(self, conversation_id: str) -> None:
        await incoming_list(self, None, conversation_id)


class ServerIncomingHookHandler(ServerHandler):
    async def delete(self, conversation_id: str, hook_id: str) -> None:
        await self.services.incoming_hooks.remove(None, conversation_id, hook_id)
        self.no_content()


async def incoming_create(h: ApiHandler, caller: str | None, conversation_id: str) -> None:
    name = h.body().text("name")
    hook, token = await h.services.incoming_hooks.create(caller, conversation_id, name)
    h.reply(hook_json(hook, token), 201)


async def incoming_list(h: ApiHandler, caller: str | None, conversation_id: str) -> None:
    hooks = await h.services.incoming_hooks.listed(caller, conversation_id)
    h.reply({"incoming_webhooks": [hook_json(x) for x in hooks]})


class HookPostHandler(ApiHandler):
    """``POST /hooks/TOKEN`` ``{text, client_id?}``: the token is the credential."""

    requires_auth = False

    async def post(self, token: str) -> None:
        body = self.body()
        client_id = body.optional_text("client_id")
        message, created = await self.services.incoming_hooks.post(
            token, body.text("text"), client_id
        )
        self.reply(serialize.message(message), 201 if created else 200)
