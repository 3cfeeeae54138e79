"""MongoDB: the external ids apps know users by (a collection keyed by them, which keeps each
unique without a partial index), and server keys."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import time_in, time_out, time_req
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.apps import ServerKey
from ezchat.domain.errors import Conflict
from ezchat.domain.model import User


class ExternalIds:
    def __init__(self, db: MongoDatabase) -> None:
        self._ids = db["external_ids"]

    @contextlib.asynccontextmanager
    async def claimed(self, user: User) -> AsyncIterator[None]:
        """The user's external id taken for it while the user is written; let go again when
        that write fails."""
        if user.external_id is None:
            yield
            return
        try:
            await self._ids.insert_one({"_id": user.external_id, "user_id": user.id})
        except DuplicateKeyError as exc:
            raise Conflict("external_id is taken") from exc
        try:
            yield
        except BaseException:
            await self._ids.delete_one({"_id": user.external_id, "user_id": user.id})
            raise

    @translated
    async def user_of(self, external_id: str) -> str | None:
        doc = await self._ids.find_one({"_id": external_id})
        return str(doc["user_id"]) if doc else None


def _key_in(doc: dict[str, Any]) -> ServerKey:
    return ServerKey(
        name=doc["name"],
        key_hash=doc["_id"],
        created_at=time_req(doc["created_at"]),
        revoked_at=time_in(doc.get("revoked_at")),
    )


class MongoServerKeyStore:
    """Active names are kept unique by a document per active name (``server_key_names``)."""

    def __init__(self, db: MongoDatabase) -> None:
        self._keys = db["server_keys"]
        self._names = db["server_key_names"]

    @translated
    async def add(self, key: ServerKey) -> None:
        try:
            await self._names.insert_one({"_id": key.name, "key_hash": key.key_hash})
        except DuplicateKeyError as exc:
            raise Conflict(f"a key named {key.name} exists; revoke it first") from exc
        doc = {"_id": key.key_hash, "name": key.name, "created_at": time_out(key.created_at)}
        await self._keys.insert_one({**doc, "revoked_at": None})

    @translated
    async def by_hash(self, key_hash: str) -> ServerKey | None:
        doc = await self._keys.find_one({"_id": key_hash})
        return _key_in(doc) if doc else None

    @translated
    async def list(self) -> list[ServerKey]:
        docs = self._keys.find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_key_in(d) async for d in docs]

    @translated
    async def revoke(self, name: str, at: datetime) -> bool:
        held = await self._names.find_one_and_delete({"_id": name})
        if held is None:
            return False
        await self._keys.update_one(
            {"_id": held["key_hash"]}, {"$set": {"revoked_at": time_out(at)}}
        )
        return True
