"""MongoDB revocation feed: positions from a counter document, entries never changed."""

from __future__ import annotations

from pymongo import ASCENDING, ReturnDocument

from ezchat.adapters.codec import revocation_in
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.access import Revocation


class MongoRevocationStore:
    """Positions come from a counter document, so that every process reads the feed in one
    order."""

    def __init__(self, db: MongoDatabase) -> None:
        self._feed = db["revocations"]
        self._meta = db["meta"]

    @translated
    async def add(self, revocation: Revocation) -> None:
        r = revocation
        counter = await self._meta.find_one_and_update(
            {"_id": "revocation-position"},
            {"$inc": {"n": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        await self._feed.insert_one(
            {
                "_id": r.id,
                "position": int(counter["n"]),
                "user_id": r.user_id,
                "at": r.at,
                "expires_at": r.expires_at,
                "token_id": r.token_id,
                "kept": r.kept,
            }
        )

    @translated
    async def after(self, position: int, limit: int = 1000) -> tuple[list[Revocation], int]:
        docs = (
            await self._feed.find({"position": {"$gt": position}})
            .sort("position", ASCENDING)
            .limit(limit)
            .to_list(limit)
        )
        found = [revocation_in(d, d["_id"]) for d in docs]
        return found, int(docs[-1]["position"]) if docs else position

    @translated
    async def position(self) -> int:
        counter = await self._meta.find_one({"_id": "revocation-position"})
        return int(counter["n"]) if counter else 0

    @translated
    async def active(self, now: float) -> list[Revocation]:
        cursor = self._feed.find({"token_id": {"$ne": None}, "expires_at": {"$gt": now}})
        return [revocation_in(d, d["_id"]) async for d in cursor]
