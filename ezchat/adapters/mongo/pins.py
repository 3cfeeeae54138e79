"""MongoDB pins: the pinned messages through the (conversation_id, pinned_at) index, read from
the primary."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.adapters.mongo.message_docs import message_from
from ezchat.domain.messages import Message


class MongoPinStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._messages = db["messages"]

    @translated
    async def pinned(self, conversation_id: str, limit: int) -> list[Message]:
        docs = (
            await self._messages.find(
                {"conversation_id": conversation_id, "pinned_at": {"$ne": None}}
            )
            .sort([("pinned_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list(limit)
        )
        return [message_from(d) for d in docs]

    @translated
    async def count(self, conversation_id: str) -> int:
        return int(
            await self._messages.count_documents(
                {"conversation_id": conversation_id, "pinned_at": {"$ne": None}}
            )
        )
