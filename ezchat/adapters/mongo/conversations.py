"""MongoDB conversations, members (a collection of their own) and the direct-pair registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import conversation_in, member_in, time_out
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Conversation, Member, MemberChange, PointerUpdate


def member_doc(conversation_id: str, m: Member) -> dict[str, Any]:
    return {
        "_id": f"{conversation_id}|{m.user_id}",
        "conversation_id": conversation_id,
        "user_id": m.user_id,
        "role": m.role.value,
        "joined_at": time_out(m.joined_at),
        "read_seq": m.read_seq,
        "delivered_seq": m.delivered_seq,
        "pinned": m.pinned,
        "muted": m.muted,
        "notify": m.notify.value if m.notify else None,
    }


def member_from(doc: dict[str, Any]) -> Member:
    return member_in(doc)


def _advance(u: PointerUpdate) -> tuple[dict[str, Any], dict[str, Any]]:
    """Filter and update moving a member's pointers forward only."""
    return (
        {"_id": f"{u.conversation_id}|{u.user_id}"},
        {"$max": {"read_seq": u.read_seq, "delivered_seq": u.delivered_seq}},
    )


class MongoConversationStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._convs = db["conversations"]
        self._members = db["members"]
        self._direct = db["direct_keys"]
        self._messages = db["messages"]

    async def _load(self, ids: list[str]) -> list[Conversation]:
        if not ids:
            return []
        members: dict[str, list[Member]] = defaultdict(list)
        cursor = self._members.find({"conversation_id": {"$in": ids}}).sort(
            [("joined_at", ASCENDING), ("user_id", ASCENDING)]
        )
        async for doc in cursor:
            members[doc["conversation_id"]].append(member_from(doc))
        found = {}
        async for doc in self._convs.find({"_id": {"$in": ids}}):
            found[doc["_id"]] = conversation_in(doc, doc["_id"], members[doc["_id"]])
        return [found[i] for i in ids if i in found]

    async def _one(self, conversation_id: str) -> Conversation:
        convs = await self._load([conversation_id])
        if not convs:
            raise NotFound("conversation not found")
        return convs[0]

    @translated
    async def add(self, conversation: Conversation) -> None:
        c = conversation
        if c.direct_key is not None:
            await self._claim_direct_key(c.direct_key, c.id)
        await self._convs.insert_one(
            {
                "_id": c.id,
                "type": c.type.value,
                "name": c.name,
                "description": c.description,
                "avatar_url": c.avatar_url,
                "created_by": c.created_by,
                "created_at": time_out(c.created_at),
                "last_seq": c.last_seq,
                "rev": c.rev,
                "last_activity": time_out(c.last_activity),
                "direct_key": c.direct_key,
            }
        )
        if c.members:
            await self._members.insert_many([member_doc(c.id, m) for m in c.members])

    async def _claim_direct_key(self, key: str, conversation_id: str) -> None:
        """One direct conversation per pair. A key whose conversation never got written (a
        crash between the two writes) is taken over."""
        try:
            await self._direct.insert_one({"_id": key, "conversation_id": conversation_id})
            return
        except DuplicateKeyError:
            pass
        held = await self._direct.find_one({"_id": key})
        if held and await self._convs.find_one({"_id": held["conversation_id"]}, {"_id": 1}):
            raise Conflict("the direct conversation exists")
        taken = await self._direct.update_one(
            {"_id": key, "conversation_id": held["conversation_id"] if held else None},
            {"$set": {"conversation_id": conversation_id}},
        )
        if taken.matched_count == 0:
            raise Conflict("the direct conversation exists")

    @translated
    async def get(self, conversation_id: str) -> Conversation | None:
        convs = await self._load([conversation_id])
        return convs[0] if convs else None

    @translated
    async def get_direct(self, direct_key: str) -> Conversation | None:
        held = await self._direct.find_one({"_id": direct_key})
        if held is None:
            return None
        convs = await self._load([held["conversation_id"]])
        return convs[0] if convs else None

    @translated
    async def update_info(self, conversation: Conversation) -> Conversation:
        c = conversation
        result = await self._convs.update_one(
            {"_id": c.id},
            {
                "$set": {
                    "name": c.name,
                    "description": c.description,
                    "avatar_url": c.avatar_url,
                    "members_can_pin": c.members_can_pin,
                    "retention_days": c.retention_days,
                }
            },
        )
        if result.matched_count == 0:
            raise NotFound("conversation not found")
        return await self._one(c.id)

    @translated
    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        result = await self._convs.update_one(
            {"_id": conversation_id}, {"$set": {"pin_count": count}}
        )
        if result.matched_count == 0:
            raise NotFound("conversation not found")
        return await self._one(conversation_id)

    @translated
    async def delete(self, conversation_id: str) -> None:
        doc = await self._convs.find_one({"_id": conversation_id}, {"direct_key": 1})
        await self._messages.delete_many({"conversation_id": conversation_id})
        await self._members.delete_many({"conversation_id": conversation_id})
        if doc and doc.get("direct_key"):
            await self._direct.delete_one(
                {"_id": doc["direct_key"], "conversation_id": conversation_id}
            )
        await self._convs.delete_one({"_id": conversation_id})

    @translated
    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        await self._one(conversation_id)
        try:
            await self._members.insert_one(member_doc(conversation_id, member))
        except DuplicateKeyError as exc:
            raise Conflict("user is a member already") from exc
        return await self._one(conversation_id)

    @translated
    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        await self._members.delete_one({"_id": f"{conversation_id}|{user_id}"})
        return await self._one(conversation_id)

    @translated
    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        fields = {k: v.value if isinstance(v, StrEnum) else v for k, v in change.fields().items()}
        result = await self._members.update_one(
            {"_id": f"{conversation_id}|{user_id}"},
            {"$set": fields} if fields else {"$set": {"user_id": user_id}},
        )
        if result.matched_count == 0:
            raise NotFound("user is not a member")
        return await self._one(conversation_id)

    @translated
    async def advance_pointers(self, update: PointerUpdate) -> Member:
        doc = await self._members.find_one_and_update(
            *_advance(update), return_document=ReturnDocument.AFTER
        )
        if doc is None:
            raise NotFound("user is not a member")
        return member_from(doc)

    @translated
    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        if updates:
            await self._members.bulk_write(
                [UpdateOne(*_advance(u)) for u in updates], ordered=False
            )

    @translated
    async def list_for_user(self, user_id: str) -> list[Conversation]:
        return await self._load(await self.ids_for_user(user_id))

    async def ids_for_user(self, user_id: str) -> list[str]:
        found = self._members.find({"user_id": user_id}, {"conversation_id": 1, "_id": 0})
        return [d["conversation_id"] async for d in found]
