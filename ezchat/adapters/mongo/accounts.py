"""MongoDB users and contacts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import time_out, time_req, user_in
from ezchat.adapters.mongo.apps import ExternalIds
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.access import AccessChange, Credentials
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Contact, ContactPair, ContactState, Presence, PresenceChange, User

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
        "external_id": u.external_id,
        "bot": u.bot,
    }


def user_from(doc: dict[str, Any]) -> User:
    return user_in(doc, doc["_id"])


class MongoUserStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._users = db["users"]
        self._external = ExternalIds(db)

    @translated
    async def add(self, user: User, credentials: Credentials) -> None:
        async with self._external.claimed(user):  # an external id is unique: claimed first
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

    async def get_by_external_id(self, external_id: str) -> User | None:
        user_id = await self._external.user_of(external_id)
        return await self.get(user_id) if user_id else None

    @translated
    async def credentials(self, user_id: str) -> Credentials | None:
        doc = await self._users.find_one({"_id": user_id}, {"password_hash": 1})
        return Credentials(user_id=user_id, password_hash=doc["password_hash"]) if doc else None

    @translated
    async def release_username(self, user_id: str, placeholder: str) -> bool:
        result = await self._users.update_one(
            {"_id": user_id, "deleted_at": {"$gt": 0}}, {"$set": {"username": placeholder}}
        )
        return bool(result.matched_count == 1)

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
    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        if not changes:
            return {}  # bulk_write refuses an empty list
        await self._users.bulk_write(
            [
                UpdateOne(
                    {"_id": c.user_id},
                    {"$set": {"status": c.status.value, "last_seen": time_out(c.last_seen)}},
                )
                for c in changes
            ],
            ordered=True,
        )
        return await self.get_many([c.user_id for c in changes])

    @translated
    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        sets: dict[str, Any] = {}
        if change.password_hash is not None:
            sets["password_hash"] = change.password_hash
        if change.disabled is not None:
            sets["disabled"] = change.disabled
        if change.admin is not None:
            sets["admin"] = change.admin
        if change.deleted_at is not None:
            sets["deleted_at"] = change.deleted_at
        if change.sessions_after is not None:
            sets["sessions_after"] = change.sessions_after
            sets["session_kept"] = change.session_kept
        if not sets:
            return await self.get(user_id)
        doc = await self._users.find_one_and_update(
            {"_id": user_id},
            {"$set": sets},
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
    async def search(self, prefix: str, limit: int, *, after: str = "") -> list[User]:
        p = "^" + re.escape(prefix.casefold())
        found: dict[str, Any] = {
            "$or": [{"username": {"$regex": p}}, {"display_folded": {"$regex": p}}]
        }
        if after:
            found["username"] = {"$gt": after}
        cursor = self._users.find(found, NO_SECRET).sort("username", ASCENDING).limit(limit)
        return [user_from(doc) async for doc in cursor]


def _side(doc: dict[str, Any] | None, owner_id: str, user_id: str) -> Contact | None:
    """``owner_id``'s view of ``user_id`` held in a pair document."""
    if doc is None:
        return None
    prefix = "lo" if doc["lo"] == owner_id else "hi"
    state = doc.get(f"{prefix}_state")
    if state is None:
        return None
    return Contact(
        owner_id=owner_id,
        user_id=user_id,
        state=ContactState(state),
        since=time_req(doc[f"{prefix}_since"]),
    )


def _side_fields(prefix: str, side: Contact | None) -> dict[str, Any]:
    return {
        f"{prefix}_state": side.state.value if side else None,
        f"{prefix}_since": time_out(side.since) if side else None,
    }


def pair_key(a: str, b: str) -> tuple[str, str, str]:
    """(document id, lower id, higher id) of the pair of ``a`` and ``b``."""
    lo, hi = sorted((a, b))
    return f"{lo}|{hi}", lo, hi


class MongoContactStore:
    """One document per pair of users holds both sides, so that a pair changes in one atomic
    single-document write: ``{_id: "lo|hi", lo, hi, lo_state, lo_since, hi_state, hi_since}``,
    where ``lo_*`` is the view of the user with the lower id."""

    def __init__(self, db: MongoDatabase) -> None:
        self._pairs = db["contact_pairs"]

    @translated
    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        key, _, _ = pair_key(owner_id, user_id)
        return _side(await self._pairs.find_one({"_id": key}), owner_id, user_id)

    @translated
    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        key, _, _ = pair_key(owner_id, user_id)
        doc = await self._pairs.find_one({"_id": key})
        return ContactPair(_side(doc, owner_id, user_id), _side(doc, user_id, owner_id))

    @translated
    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        key, lo, hi = pair_key(owner_id, user_id)
        mine_prefix, theirs_prefix = ("lo", "hi") if owner_id == lo else ("hi", "lo")
        condition = {
            **_side_fields(mine_prefix, expected.mine),
            **_side_fields(theirs_prefix, expected.theirs),
        }
        changes = {
            "lo": lo,
            "hi": hi,
            **_side_fields(mine_prefix, new.mine),
            **_side_fields(theirs_prefix, new.theirs),
        }
        # A pair with no relation yet may have no document: upsert then, and a racing writer
        # that inserted it first makes this one fail on the unique _id.
        nothing_before = expected.mine is None and expected.theirs is None
        try:
            result = await self._pairs.update_one(
                {"_id": key, **condition},
                {"$set": changes},
                upsert=nothing_before,
            )
        except DuplicateKeyError:
            return False
        return bool(result.matched_count or result.upserted_id is not None)

    @translated
    async def list(self, owner_id: str) -> list[Contact]:
        cursor = self._pairs.find(
            {
                "$or": [
                    {"lo": owner_id, "lo_state": {"$ne": None}},
                    {"hi": owner_id, "hi_state": {"$ne": None}},
                ]
            }
        )
        found = []
        async for doc in cursor:
            other = doc["hi"] if doc["lo"] == owner_id else doc["lo"]
            side = _side(doc, owner_id, other)
            if side is not None:
                found.append(side)
        found.sort(key=lambda c: (c.since, c.user_id))
        return found


async def migrate_contacts(db: MongoDatabase) -> int:
    """Fold contacts stored one document per side (before pair documents) into pairs; safe to
    run again after a crash. Returns how many side documents were moved."""
    old = db["contacts"]
    pairs = db["contact_pairs"]
    moved = 0
    async for doc in old.find({}):
        key, lo, hi = pair_key(doc["owner_id"], doc["user_id"])
        prefix = "lo" if doc["owner_id"] == lo else "hi"
        await pairs.update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "lo": lo,
                    "hi": hi,
                    "lo_state": None,
                    "lo_since": None,
                    "hi_state": None,
                    "hi_since": None,
                }
            },
            upsert=True,
        )
        await pairs.update_one(
            {"_id": key, f"{prefix}_state": None},
            {"$set": {f"{prefix}_state": doc["state"], f"{prefix}_since": doc["since"]}},
        )
        await old.delete_one({"_id": doc["_id"]})
        moved += 1
    return moved
