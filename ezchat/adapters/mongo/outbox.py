"""MongoDB outbox and push subscriptions.

Without transactions the outbox entries of a batch of messages are written right after the
messages, in one bulk write, before the batch is acknowledged: a crash between the two writes
loses those notifications (never the messages). An open entry is found by ``open_key`` (user and
conversation), which a claim replaces with the entry's own id, so that later messages open a new
entry; the unique index on it keeps one open entry per pair even with writers in several
processes."""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from ezchat.adapters.codec import notification_in, push_subscription_in, time_out
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.ids import new_id
from ezchat.domain.outbox import Notification, OutboxState, PushSubscription

DUPLICATE_KEY = 11000


def _open_key(n: Notification) -> str:
    return f"{n.user_id} {n.conversation_id}"


def _upsert(n: Notification) -> UpdateOne:
    return UpdateOne(
        {"open_key": _open_key(n)},
        {
            # Writers of one conversation race (seq is taken before this write): the entry
            # starts at the lowest seq that joined it, whichever upsert came first.
            "$min": {"first_seq": n.first_seq},
            "$max": {"last_seq": n.last_seq},
            "$inc": {"count": 1},
            "$setOnInsert": {
                "_id": n.id,
                "user_id": n.user_id,
                "conversation_id": n.conversation_id,
                "state": OutboxState.OPEN.value,
                "next_at": n.next_at,
                "created_at": n.created_at,
                "attempts": 0,
                "lease_until": 0.0,
                "lease_token": None,
                "done": [],
                "last_error": None,
            },
        },
        upsert=True,
    )


async def open_notifications(outbox: Any, entries: list[Notification]) -> None:
    """Open each entry, or fold it into the open one of its user and conversation. Two
    processes opening the same pair at once: one insert wins, the other is written again and
    then finds it."""
    todo = entries
    for _ in range(3):
        if not todo:
            return
        try:
            await outbox.bulk_write([_upsert(n) for n in todo], ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            todo = [todo[e["index"]] for e in errors]
    await outbox.bulk_write([_upsert(n) for n in todo], ordered=False)


def _entry(doc: dict[str, Any]) -> Notification:
    return notification_in(doc, doc["_id"])


class MongoOutboxStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._outbox = db["outbox"]

    def _due(self, now: float) -> dict[str, Any]:
        return {"state": {"$ne": "dead"}, "next_at": {"$lte": now}, "lease_until": {"$lte": now}}

    @translated
    async def claim(self, *, now: float, lease_s: float, limit: int) -> list[Notification]:
        candidates = (
            await self._outbox.find(self._due(now), {"_id": 1})
            .sort("next_at", ASCENDING)
            .limit(limit)
            .to_list(limit)
        )
        claimed = []
        for doc in candidates:
            # Conditional on still being due and free: of workers racing, one gets it.
            leased = await self._outbox.find_one_and_update(
                {"_id": doc["_id"], **self._due(now)},
                {
                    "$set": {
                        "state": OutboxState.SENDING.value,
                        "open_key": doc["_id"],
                        "lease_until": now + lease_s,
                        "lease_token": new_id(),
                    }
                },
                return_document=ReturnDocument.AFTER,
            )
            if leased is not None:
                claimed.append(_entry(leased))
        return claimed

    def _held(self, entry: Notification) -> dict[str, Any]:
        return {"_id": entry.id, "lease_token": entry.lease_token}

    @translated
    async def finish(self, entry: Notification) -> bool:
        result = await self._outbox.delete_one(self._held(entry))
        return bool(result.deleted_count == 1)

    async def _let_go(self, entry: Notification, changes: dict[str, Any]) -> bool:
        result = await self._outbox.update_one(
            self._held(entry),
            {
                "$set": {**changes, "lease_until": 0.0, "lease_token": None},
                "$inc": {"attempts": 1},
            },
        )
        return bool(result.matched_count == 1)

    @translated
    async def retry(
        self, entry: Notification, *, next_at: float, error: str, done: tuple[str, ...]
    ) -> bool:
        return await self._let_go(
            entry, {"next_at": next_at, "last_error": error, "done": list(done)}
        )

    @translated
    async def bury(self, entry: Notification, *, error: str, done: tuple[str, ...]) -> bool:
        return await self._let_go(
            entry,
            {"state": OutboxState.DEAD.value, "last_error": error, "done": list(done)},
        )

    @translated
    async def counts(self) -> dict[str, int]:
        return {
            s.value: int(await self._outbox.count_documents({"state": s.value}))
            for s in OutboxState
        }

    @translated
    async def dead(self, limit: int) -> list[Notification]:
        docs = (
            await self._outbox.find({"state": OutboxState.DEAD.value})
            .sort("created_at", ASCENDING)
            .limit(limit)
            .to_list(limit)
        )
        return [_entry(d) for d in docs]


class MongoPushSubscriptionStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._subs = db["push_subscriptions"]

    @translated
    async def put(self, subscription: PushSubscription, *, keep: int) -> None:
        s = subscription
        # Newer subscriptions sort later; the clock only orders one user's devices.
        await self._subs.replace_one(
            {"_id": s.endpoint},
            {
                "_id": s.endpoint,
                "user_id": s.user_id,
                "p256dh": s.p256dh,
                "auth": s.auth,
                "created_at": time_out(s.created_at),
                "position": time.time_ns(),
                "token_id": s.token_id,
                "issued_at": s.issued_at,
            },
            upsert=True,
        )
        mine = (
            await self._subs.find({"user_id": s.user_id}, {"_id": 1})
            .sort("position", ASCENDING)
            .to_list(None)
        )
        extra = [d["_id"] for d in mine[: max(0, len(mine) - keep)]]
        if extra:
            await self._subs.delete_many({"_id": {"$in": extra}})

    @translated
    async def remove(self, user_id: str, endpoint: str) -> bool:
        result = await self._subs.delete_one({"_id": endpoint, "user_id": user_id})
        return bool(result.deleted_count == 1)

    @translated
    async def remove_endpoint(self, endpoint: str) -> None:
        await self._subs.delete_one({"_id": endpoint})

    @translated
    async def for_user(self, user_id: str) -> list[PushSubscription]:
        docs = await self._subs.find({"user_id": user_id}).sort("position", ASCENDING).to_list(None)
        return [push_subscription_in(d, d["_id"]) for d in docs]
