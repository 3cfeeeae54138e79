"""MongoDB invites: a use is one conditional ``$inc`` (left > 0, not expired)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.invites import Invite


def _invite(d: dict[str, Any]) -> Invite:
    return Invite(
        d["_id"], d["code_hash"], d["uses"], d["left"], d["expires_at"], d["created_by"],
        d["created_at"],
    )  # fmt: skip


class MongoInviteStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._invites = db["invites"]

    @translated
    async def add(self, invite: Invite) -> None:
        doc = dataclasses.asdict(invite)
        doc["_id"] = doc.pop("id")
        await self._invites.insert_one(doc)

    @translated
    async def use(self, code_hash: str, *, now: float) -> Invite | None:
        doc = await self._invites.find_one_and_update(
            {"code_hash": code_hash, "left": {"$gt": 0}, "expires_at": {"$gt": now}},
            {"$inc": {"left": -1}},
            return_document=ReturnDocument.AFTER,
        )
        return _invite(doc) if doc else None

    @translated
    async def give_back(self, invite_id: str) -> None:
        doc = await self._invites.find_one({"_id": invite_id})
        if doc is not None and doc["left"] < doc["uses"]:
            await self._invites.update_one(
                {"_id": invite_id, "left": {"$lt": doc["uses"]}}, {"$inc": {"left": 1}}
            )

    @translated
    async def all(self) -> list[Invite]:
        cursor = self._invites.find({}).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        return [_invite(d) async for d in cursor]

    @translated
    async def remove(self, invite_id: str) -> bool:
        return bool((await self._invites.delete_one({"_id": invite_id})).deleted_count == 1)
