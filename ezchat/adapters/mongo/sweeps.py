"""MongoDB sweeps over the ``standing`` and ``sender_standing`` indexes; each tombstone is the
message store's own conditional replace (a message changed meanwhile is left for the next
call), so revs are allocated the one way they always are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.adapters.mongo.message_docs import message_from
from ezchat.adapters.mongo.messages import MongoMessageStore
from ezchat.adapters.tombstones import older_first, tombstone_each
from ezchat.domain.messages import Message

_ORDER = [("conversation_id", ASCENDING), ("seq", ASCENDING)]


class MongoSweepStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._messages = db["messages"]
        self._store = MongoMessageStore(db)
        self._convs = db["conversations"]

    @translated
    async def conversations(
        self, *, after: str, limit: int, own_only: bool
    ) -> list[tuple[str, int | None]]:
        query: dict[str, Any] = {"_id": {"$gt": after}}
        if own_only:
            query["retention_days"] = {"$gt": 0}
        cursor = self._convs.find(query, {"retention_days": 1}).sort("_id", ASCENDING)
        docs = await cursor.limit(limit).to_list(limit)
        return [(d["_id"], d.get("retention_days")) for d in docs]

    async def _find(self, query: dict[str, Any], limit: int) -> list[Message]:
        docs = await self._messages.find(query).sort(_ORDER).limit(limit).to_list(limit)
        return [message_from(d) for d in docs]

    @translated
    async def by_sender(
        self, sender_id: str, *, after: tuple[str, int] | None, limit: int
    ) -> list[Message]:
        standing = {"sender_id": sender_id, "deleted": False}
        if after is None:
            return await self._find(standing, limit)
        conv, seq = after
        out = await self._find({**standing, "conversation_id": conv, "seq": {"$gt": seq}}, limit)
        if len(out) < limit:
            out += await self._find(
                {**standing, "conversation_id": {"$gt": conv}}, limit - len(out)
            )
        return out

    @translated
    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        query: dict[str, Any] = {"conversation_id": conversation_id, "deleted": False}
        if sender_id is not None:
            query["sender_id"] = sender_id
        return await tombstone_each(
            self._store, older_first(await self._find(query, limit), before)
        )
