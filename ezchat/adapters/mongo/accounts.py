"""MongoDB users and contacts."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import time_in, time_out, time_req
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Contact, ContactState, Credentials, Presence, User

NO_SECRET = {"password_hash": 0}


def user_doc(u: User, password_hash: str) -> dict[str, Any]:
    return {
        "_id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "display_folded": u.display_name.casefold(),
        "avatar_url": u.avatar_url,
        "status": u.status.value,
        "last_seen": time_out(u.last_seen),
        "created_at": time_out(u.created_at),
        "password_hash": password_hash,
    }


def user_from(doc: dict[str, Any]) -> User:
    return User(
        id=doc["_id"],
        username=doc["username"],
        display_name=doc["display_name"],
        avatar_url=doc.get("avatar_url"),
        status=Presence(doc.get("status", "offline")),
        last_seen=time_in(doc.get("last_seen")),
        created_at=time_req(doc["created_at"]),
    )


class MongoUserStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._users = db["users"]

    @translated
    async def add(self, user: User, credentials: Credentials) -> None:
        try:
            await self._users.insert_one(user_doc(user, credentials.password_hash))
        except DuplicateKeyError as exc:
            raise Conflict("username is taken") from exc

    @translated
    async def get(self, user_id: str) -> User | None:
        doc = await self._users.find_one({"_id": user_id}, NO_SECRET)
        return user_from(doc) if doc else None

    @translated
    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        cursor = self._users.find({"_id": {"$in": list(dict.fromkeys(user_ids))}}, NO_SECRET)
        return {doc["_id"]: user_from(doc) async for doc in cursor}

    @translated
    async def get_by_username(self, username: str) -> User | None:
        doc = await self._users.find_one({"username": username}, NO_SECRET)
        return user_from(doc) if doc else None

    @translated
    async def credentials(self, user_id: str) -> Credentials | None:
        doc = await self._users.find_one({"_id": user_id}, {"password_hash": 1})
        return Credentials(user_id=user_id, password_hash=doc["password_hash"]) if doc else None

    @translated
    async def update(self, user: User) -> None:
        result = await self._users.update_one(
            {"_id": user.id},
            {
                "$set": {
                    "display_name": user.display_name,
                    "display_folded": user.display_name.casefold(),
                    "avatar_url": user.avatar_url,
                }
            },
        )
        if result.matched_count == 0:
            raise NotFound("user not found")

    @translated
    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        doc = await self._users.find_one_and_update(
            {"_id": user_id},
            {"$set": {"status": status.value, "last_seen": time_out(last_seen)}},
            projection=NO_SECRET,
            return_document=ReturnDocument.AFTER,
        )
        return user_from(doc) if doc else None

    @translated
    async def clear_presence(self) -> None:
        await self._users.update_many(
            {"status": {"$ne": "offline"}}, {"$set": {"status": "offline"}}
        )

    @translated
    async def search(self, prefix: str, limit: int) -> list[User]:
        p = "^" + re.escape(prefix.casefold())
        cursor = (
            self._users.find(
                {"$or": [{"username": {"$regex": p}}, {"display_folded": {"$regex": p}}]},
                NO_SECRET,
            )
            .sort("username", ASCENDING)
            .limit(limit)
        )
        return [user_from(doc) async for doc in cursor]


def contact_from(doc: dict[str, Any]) -> Contact:
    return Contact(
        owner_id=doc["owner_id"],
        user_id=doc["user_id"],
        state=ContactState(doc["state"]),
        since=time_req(doc["since"]),
    )


class MongoContactStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._contacts = db["contacts"]

    @staticmethod
    def _id(owner_id: str, user_id: str) -> str:
        return f"{owner_id}|{user_id}"

    @translated
    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        doc = await self._contacts.find_one({"_id": self._id(owner_id, user_id)})
        return contact_from(doc) if doc else None

    @translated
    async def put(self, contact: Contact) -> None:
        key = self._id(contact.owner_id, contact.user_id)
        # _id repeated in the replacement: nx-27017 does not take it from the filter on upsert.
        doc = {
            "_id": key,
            "owner_id": contact.owner_id,
            "user_id": contact.user_id,
            "state": contact.state.value,
            "since": time_out(contact.since),
        }
        await self._contacts.replace_one({"_id": key}, doc, upsert=True)

    @translated
    async def remove(self, owner_id: str, user_id: str) -> None:
        await self._contacts.delete_one({"_id": self._id(owner_id, user_id)})

    @translated
    async def list(self, owner_id: str) -> list[Contact]:
        cursor = self._contacts.find({"owner_id": owner_id}).sort(
            [("since", ASCENDING), ("user_id", ASCENDING)]
        )
        return [contact_from(doc) async for doc in cursor]
