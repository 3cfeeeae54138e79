"""MongoDB audit log: one document per entry, never updated."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import DESCENDING

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.audit import AuditEntry


class MongoAuditStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._audit = db["audit"]

    @translated
    async def append(self, entry: AuditEntry) -> None:
        doc = dataclasses.asdict(entry)
        doc["_id"] = doc.pop("id")
        await self._audit.insert_one(doc)

    @translated
    async def page(
        self,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        found: dict[str, Any] = {}
        if before is not None:
            found["$or"] = [
                {"at": {"$lt": before[0]}},
                {"at": before[0], "_id": {"$lt": before[1]}},
            ]
        if actor is not None:
            found["actor"] = actor
        if action is not None:
            found["action"] = action
        cursor = (
            self._audit.find(found).sort([("at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        )
        out = []
        async for d in cursor:
            d["id"] = d.pop("_id")
            out.append(AuditEntry(**d))
        return out
