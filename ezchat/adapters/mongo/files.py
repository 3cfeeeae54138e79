"""MongoDB file records (the bytes are in a ``FileStore``), and which messages carry a file:
found through the multikey index on ``attachments.file_id`` of the messages themselves."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import file_in, time_out
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.files import StoredFile


@translated
async def conversations_with_file(messages: Any, file_id: str) -> list[str]:
    # $elemMatch rather than "attachments.file_id": the same on MongoDB (and on its multikey
    # index), and nx-27017 answers only this form once that index exists.
    docs = messages.find(
        {"attachments": {"$elemMatch": {"file_id": file_id}}, "deleted": {"$ne": True}},
        {"conversation_id": 1},
    )
    return sorted({d["conversation_id"] async for d in docs})


class MongoFileRecordStore:
    """The quota is kept as a counter per owner (``file_usage``), taken with one conditional
    ``$inc`` before the record is written: atomic across processes without transactions."""

    def __init__(self, db: MongoDatabase) -> None:
        self._files = db["files"]
        self._usage = db["file_usage"]

    @translated
    async def add(self, record: StoredFile, *, quota_bytes: int) -> bool:
        owner, size = record.owner_id, record.size
        with contextlib.suppress(DuplicateKeyError):  # two first uploads at once: one makes it
            await self._usage.update_one({"_id": owner}, {"$setOnInsert": {"used": 0}}, upsert=True)
        took = await self._usage.find_one_and_update(
            {"_id": owner, "used": {"$lte": quota_bytes - size}}, {"$inc": {"used": size}}
        )
        if took is None:
            return False
        try:
            await self._insert(record)
        except BaseException:
            await self._usage.update_one({"_id": owner}, {"$inc": {"used": -size}})
            raise
        return True

    async def _insert(self, record: StoredFile) -> None:
        doc: dict[str, Any] = asdict(record)
        doc["_id"] = doc.pop("id")
        doc["created_at"] = time_out(record.created_at)
        doc["created_ts"] = record.created_at.timestamp()
        doc["attached_ts"] = record.attached_at or 0.0  # always a number: one range query
        await self._files.insert_one(doc)

    @translated
    async def get(self, file_id: str) -> StoredFile | None:
        doc = await self._files.find_one({"_id": file_id})
        return file_in(doc, doc["_id"]) if doc else None

    @translated
    async def used_bytes(self, owner_id: str) -> int:
        doc = await self._usage.find_one({"_id": owner_id})
        return int(doc["used"]) if doc else 0

    @translated
    async def touch(self, file_id: str, now: float) -> bool:
        result = await self._files.update_one(
            {"_id": file_id}, {"$set": {"attached_at": now, "attached_ts": now}}
        )
        return bool(result.matched_count)

    @translated
    async def delete_if_idle(self, file_id: str, attached_before: float) -> bool:
        gone = await self._files.find_one_and_delete(
            {"_id": file_id, "attached_ts": {"$lt": attached_before}}
        )
        if gone is None:
            return False
        await self._usage.update_one({"_id": gone["owner_id"]}, {"$inc": {"used": -gone["size"]}})
        return True

    @translated
    async def idle(self, before: float, limit: int) -> list[StoredFile]:
        docs = (
            self._files.find({"created_ts": {"$lt": before}, "attached_ts": {"$lt": before}})
            .sort([("created_ts", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [file_in(d, d["_id"]) async for d in docs]
