"""MongoDB webhooks. A delivery's ``_id`` is "webhook|event", so recording one again is a
duplicate key, ignored; positions come from a counter document (``meta``), taken for a whole
batch with one ``$inc``."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.webhooks import Delivery, DeliveryState, IncomingHook, Webhook

DUPLICATE_KEY = 11000


def _webhook(doc: dict[str, Any]) -> Webhook:
    return Webhook(
        id=doc["_id"],
        url=doc["url"],
        events=tuple(doc["events"]),
        secret=doc["secret"],
        created_at=doc["created_at"],
    )


def _delivery(doc: dict[str, Any]) -> Delivery:
    return Delivery(
        webhook_id=doc["webhook_id"],
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        group=doc["grp"],
        body=doc["body"],
        created_at=doc["created_at"],
        position=doc["position"],
        state=DeliveryState(doc["state"]),
        attempts=doc["attempts"],
        next_at=doc["next_at"],
        lease_until=doc["lease_until"],
        lease_token=doc.get("lease_token"),
        last_status=doc.get("last_status"),
        last_error=doc.get("last_error"),
        finished_at=doc.get("finished_at"),
    )


def _id(d: Delivery) -> str:
    return f"{d.webhook_id}|{d.event_id}"


class MongoWebhookStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._hooks = db["webhooks"]
        self._deliveries = db["webhook_deliveries"]
        self._meta = db["meta"]

    @translated
    async def add(self, webhook: Webhook) -> None:
        w = webhook
        await self._hooks.insert_one(
            {
                "_id": w.id,
                "url": w.url,
                "events": list(w.events),
                "secret": w.secret,
                "created_at": w.created_at,
            }
        )

    @translated
    async def all(self) -> list[Webhook]:
        docs = self._hooks.find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_webhook(d) async for d in docs]

    @translated
    async def remove(self, webhook_id: str) -> bool:
        gone = await self._hooks.delete_one({"_id": webhook_id})
        await self._deliveries.delete_many({"webhook_id": webhook_id})
        return bool(gone.deleted_count)

    @translated
    async def record(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        live = {w["_id"] async for w in self._hooks.find({}, {"_id": 1})}
        wanted = [d for d in deliveries if d.webhook_id in live]
        if not wanted:
            return
        counter = await self._meta.find_one_and_update(
            {"_id": "webhook-delivery-position"},
            {"$inc": {"n": len(wanted)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        first = int(counter["n"]) - len(wanted) + 1
        docs = [
            {
                "_id": _id(d),
                "webhook_id": d.webhook_id,
                "event_id": d.event_id,
                "event_type": d.event_type,
                "grp": d.group,
                "key": f"{d.webhook_id}|{d.group}",
                "body": d.body,
                "created_at": d.created_at,
                "position": first + i,
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_at": d.next_at,
                "lease_until": 0.0,
                "lease_token": None,
            }
            for i, d in enumerate(wanted)
        ]
        try:
            await self._deliveries.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise

    @translated
    async def claimable(self, *, now: float, limit: int) -> list[Delivery]:
        due = self._deliveries.find(
            {"state": "pending", "next_at": {"$lte": now}, "lease_until": {"$lte": now}}
        ).sort("position", ASCENDING)
        candidates: dict[str, dict[str, Any]] = {}
        async for doc in due.limit(limit * 4):
            candidates.setdefault(doc["key"], doc)  # the earliest due one of each group
        if not candidates:
            return []
        firsts: Any = self._deliveries.aggregate(
            [
                {"$match": {"state": "pending", "key": {"$in": list(candidates)}}},
                {"$group": {"_id": "$key", "first": {"$min": "$position"}}},
            ]
        )
        if inspect.isawaitable(firsts):  # PyMongo's async API; Motor gives the cursor at once
            firsts = await firsts
        first = {f["_id"]: f["first"] async for f in firsts}
        heads = [d for k, d in candidates.items() if first.get(k) == d["position"]]
        heads.sort(key=lambda d: d["position"])
        return [_delivery(d) for d in heads[:limit]]

    @translated
    async def lease(self, delivery: Delivery, *, until: float, token: str) -> Delivery | None:
        done = await self._deliveries.update_one(
            {"_id": _id(delivery), "state": "pending", "lease_token": delivery.lease_token},
            {"$set": {"lease_until": until, "lease_token": token}},
        )
        if not done.modified_count:
            return None
        return replace(delivery, lease_until=until, lease_token=token)

    @translated
    async def settle(self, delivery: Delivery) -> bool:
        d = delivery
        done = await self._deliveries.update_one(
            {"_id": _id(d), "lease_token": d.lease_token},
            {
                "$set": {
                    "state": d.state.value,
                    "attempts": d.attempts,
                    "next_at": d.next_at,
                    "last_status": d.last_status,
                    "last_error": d.last_error,
                    "finished_at": d.finished_at,
                    "lease_until": 0.0,
                    "lease_token": None,
                }
            },
        )
        return bool(done.modified_count)

    @translated
    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        docs = (
            self._deliveries.find({"webhook_id": webhook_id})
            .sort("position", DESCENDING)
            .limit(limit)
        )
        return [_delivery(d) async for d in docs]

    @translated
    async def prune(self, *, before: float) -> int:
        gone = await self._deliveries.delete_many(
            {"state": "delivered", "finished_at": {"$lt": before}}
        )
        return int(gone.deleted_count)


def _hook(doc: dict[str, Any]) -> IncomingHook:
    return IncomingHook(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        name=doc["name"],
        token_hash=doc["token_hash"],
        bot_id=doc["bot_id"],
        created_by=doc.get("created_by"),
        created_at=doc["created_at"],
    )


class MongoIncomingHookStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._hooks = db["incoming_hooks"]

    @translated
    async def add(self, hook: IncomingHook) -> None:
        h = hook
        await self._hooks.insert_one(
            {
                "_id": h.id,
                "conversation_id": h.conversation_id,
                "name": h.name,
                "token_hash": h.token_hash,
                "bot_id": h.bot_id,
                "created_by": h.created_by,
                "created_at": h.created_at,
            }
        )

    @translated
    async def by_token_hash(self, token_hash: str) -> IncomingHook | None:
        doc = await self._hooks.find_one({"token_hash": token_hash})
        return _hook(doc) if doc else None

    @translated
    async def for_conversation(self, conversation_id: str) -> list[IncomingHook]:
        docs = self._hooks.find({"conversation_id": conversation_id}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [_hook(d) async for d in docs]

    @translated
    async def remove(self, hook_id: str) -> IncomingHook | None:
        doc = await self._hooks.find_one_and_delete({"_id": hook_id})
        return _hook(doc) if doc else None
