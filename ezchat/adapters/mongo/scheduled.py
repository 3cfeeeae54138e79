"""MongoDB scheduled messages: one document each (``_id`` the item's id); every change an
update filtered on version."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec_records import scheduled_in, scheduled_out
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.scheduled import Scheduled


def _doc(item: Scheduled) -> dict[str, Any]:
    out = scheduled_out(item)
    out["_id"] = out.pop("id")
    return out


def _item(doc: dict[str, Any]) -> Scheduled:
    return scheduled_in({**doc, "id": doc["_id"]})


class MongoScheduledStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._items = db["scheduled"]

    @translated
    async def add(self, item: Scheduled) -> Scheduled:
        try:
            await self._items.insert_one(_doc(item))
            return item
        except DuplicateKeyError:
            found = await self._items.find_one(
                {"user_id": item.user_id, "client_id": item.client_id}
            )
            if found is None:  # the same id (a retried insert that had gone through)
                found = await self._items.find_one({"_id": item.id})
            assert found is not None
            return _item(found)

    @translated
    async def get(self, item_id: str) -> Scheduled | None:
        doc = await self._items.find_one({"_id": item_id})
        return _item(doc) if doc else None

    @translated
    async def for_user(self, user_id: str) -> list[Scheduled]:
        cursor = self._items.find({"user_id": user_id}).sort(
            [("send_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [_item(d) async for d in cursor]

    @translated
    async def count_for_user(self, user_id: str) -> int:
        return int(await self._items.count_documents({"user_id": user_id}))

    @translated
    async def due(self, *, now: float, limit: int) -> list[Scheduled]:
        found = {
            "$or": [
                {"state": "pending", "due_at": {"$lte": now}},
                {"state": "sending", "lease_until": {"$lte": now}},
            ]
        }
        cursor = self._items.find(found).sort([("due_at", ASCENDING), ("_id", ASCENDING)])
        return [_item(d) async for d in cursor.limit(limit)]

    @translated
    async def swap(self, item: Scheduled, *, expected_version: int) -> bool:
        doc = _doc(item)
        del doc["_id"]
        doc["version"] = expected_version + 1
        result = await self._items.update_one(
            {"_id": item.id, "version": expected_version}, {"$set": doc}
        )
        return bool(result.matched_count == 1)

    @translated
    async def remove(self, item_id: str, *, expected_version: int) -> bool:
        result = await self._items.delete_one({"_id": item_id, "version": expected_version})
        return bool(result.deleted_count == 1)
