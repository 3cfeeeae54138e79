"""MongoDB exports: a claim is one conditional update (pending, lease run out)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.exports import Export, ExportStatus


def _export(d: dict[str, Any]) -> Export:
    return Export(
        d["_id"], d["owner_id"], ExportStatus(d["status"]), d["created_at"], d["expires_at"],
        d["lease_until"], d["size"], d.get("error"),
    )  # fmt: skip


class MongoExportStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._exports = db["exports"]

    @translated
    async def add(self, export: Export) -> None:
        doc = dataclasses.asdict(export)
        doc["_id"] = doc.pop("id")
        doc["status"] = export.status.value
        await self._exports.insert_one(doc)

    @translated
    async def get(self, export_id: str) -> Export | None:
        doc = await self._exports.find_one({"_id": export_id})
        return _export(doc) if doc else None

    @translated
    async def for_owner(self, owner_id: str) -> list[Export]:
        cursor = self._exports.find({"owner_id": owner_id})
        cursor = cursor.sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        return [_export(d) async for d in cursor]

    async def _update(self, query: dict[str, Any], changes: dict[str, Any]) -> Export | None:
        doc = await self._exports.find_one_and_update(
            query, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        return _export(doc) if doc else None

    @translated
    async def claim(self, export_id: str, *, now: float, lease_s: float) -> Export | None:
        return await self._update(
            {"_id": export_id, "status": "pending", "lease_until": {"$lte": now}},
            {"lease_until": now + lease_s},
        )

    @translated
    async def finish(
        self, export_id: str, *, status: ExportStatus, size: int, error: str | None,
        expires_at: float,
    ) -> Export | None:  # fmt: skip
        return await self._update(
            {"_id": export_id, "status": "pending"},
            {"status": status.value, "size": size, "error": error, "expires_at": expires_at},
        )

    @translated
    async def due(self, now: float, limit: int) -> list[Export]:
        found = {}
        for query in (
            {"expires_at": {"$lte": now}},
            {"status": "pending", "lease_until": {"$lte": now}},
        ):
            async for d in self._exports.find(query).sort("created_at", ASCENDING).limit(limit):
                found[d["_id"]] = _export(d)
        return sorted(found.values(), key=lambda e: (e.created_at, e.id))[:limit]

    @translated
    async def remove(self, export_id: str) -> bool:
        return bool((await self._exports.delete_one({"_id": export_id})).deleted_count == 1)
