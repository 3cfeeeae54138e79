"""MongoDB threads: replies through the (conversation_id, thread_root, seq) index, read from
the primary; follow records are documents keyed "user conversation root", each change one
atomic update (an upsert with a pipeline, so that read_seq only rises)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec import time_in
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.adapters.mongo.message_docs import message_from
from ezchat.domain.errors import TransientStorageError
from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.threads import MAX_PARTICIPANTS, Follow, FollowedThread


def _key(user_id: str, conversation_id: str, root_id: str) -> str:
    return f"{user_id} {conversation_id} {root_id}"


def _follow_from(d: dict[str, Any]) -> Follow:
    return Follow(
        d["user_id"], d["conversation_id"], d["root_id"], bool(d["following"]), d["read_seq"]
    )


class MongoThreadStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._messages = db["messages"]
        self._follows = db["thread_follows"]

    def _standing(self, conversation_id: str, root_id: str) -> dict[str, Any]:
        return {"conversation_id": conversation_id, "thread_root": root_id, "deleted": False}

    @translated
    async def summary(self, conversation_id: str, root_id: str) -> ThreadSummary:
        found = self._standing(conversation_id, root_id)
        count = await self._messages.count_documents(found)
        if count == 0:
            return ThreadSummary()
        last = (
            await self._messages.find(found, {"created_at": 1})
            .sort("seq", DESCENDING)
            .limit(1)
            .to_list(1)
        )
        # Senders in the order each first replied: the thread is read in seq order, sender
        # ids only, until enough are seen (one pass over a long thread at worst).
        participants: list[str] = []
        cursor = self._messages.find(found, {"sender_id": 1}).sort("seq", ASCENDING)
        async for d in cursor:
            if d["sender_id"] not in participants:
                participants.append(d["sender_id"])
                if len(participants) == MAX_PARTICIPANTS:
                    break
        await cursor.close()
        return ThreadSummary(
            count, time_in(last[0]["created_at"]) if last else None, tuple(participants)
        )

    @translated
    async def page(
        self,
        conversation_id: str,
        root_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        bounds: dict[str, int] = {}
        if after is not None:
            bounds["$gt"] = after
        if before is not None:
            bounds["$lt"] = before
        seq = {"seq": bounds} if bounds else {}
        forward = after is not None
        root = await self._messages.find(
            {"_id": root_id, "conversation_id": conversation_id, **seq}
        ).to_list(1)
        replies = (
            await self._messages.find(
                {"conversation_id": conversation_id, "thread_root": root_id, **seq}
            )
            .sort("seq", ASCENDING if forward else DESCENDING)
            .limit(limit + 1)
            .to_list(limit + 1)
        )
        docs = root + replies if forward else replies + root
        picked = [message_from(d) for d in docs[:limit]]
        return (picked if forward else picked[::-1]), len(docs) > limit

    @translated
    async def count_unread(
        self, conversation_id: str, root_id: str, user_id: str, after_seq: int
    ) -> int:
        return int(
            await self._messages.count_documents(
                {
                    **self._standing(conversation_id, root_id),
                    "seq": {"$gt": after_seq},
                    "sender_id": {"$ne": user_id},
                }
            )
        )

    async def _upsert(
        self,
        user_id: str,
        conversation_id: str,
        root_id: str,
        *,
        following: bool,
        on_insert_only: bool,
        read_seq: int,
    ) -> Follow:
        """``following`` set (or only when the record is new), read_seq raised. An atomic
        update of the record, or the insert of a new one; the insert that loses a race to
        another one updates what that one made ($setOnInsert would do it in one step, but
        nx-27017 ignores it)."""
        key = _key(user_id, conversation_id, root_id)
        update: dict[str, Any] = {"$max": {"read_seq": read_seq}}
        if not on_insert_only:
            update["$set"] = {"following": following}
        for _ in range(3):
            doc = await self._follows.find_one_and_update(
                {"_id": key}, update, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return _follow_from(doc)
            made = Follow(user_id, conversation_id, root_id, following, read_seq)
            try:
                await self._follows.insert_one({"_id": key, **dataclasses.asdict(made)})
            except DuplicateKeyError:
                continue
            return made
        raise TransientStorageError("the thread record is changing too fast")

    @translated
    async def follow(
        self, user_id: str, conversation_id: str, root_id: str, *, read_seq: int, renew: bool
    ) -> None:
        await self._upsert(
            user_id, conversation_id, root_id, following=True, on_insert_only=not renew,
            read_seq=read_seq,
        )  # fmt: skip

    @translated
    async def unfollow(self, user_id: str, conversation_id: str, root_id: str) -> None:
        await self._upsert(
            user_id, conversation_id, root_id, following=False, on_insert_only=False, read_seq=0
        )

    @translated
    async def read(self, user_id: str, conversation_id: str, root_id: str, seq: int) -> Follow:
        return await self._upsert(
            user_id, conversation_id, root_id, following=False, on_insert_only=True, read_seq=seq
        )

    @translated
    async def follows(self, conversation_id: str, root_id: str) -> list[Follow]:
        cursor = self._follows.find({"conversation_id": conversation_id, "root_id": root_id})
        return [_follow_from(d) async for d in cursor]

    @translated
    async def followed(self, user_id: str) -> list[FollowedThread]:
        follows = [
            _follow_from(d)
            async for d in self._follows.find({"user_id": user_id, "following": True})
        ]
        roots: dict[tuple[str, str], Message] = {}
        for chunk in range(0, len(follows), 500):
            part = follows[chunk : chunk + 500]
            cursor = self._messages.find({"_id": {"$in": [f.root_id for f in part]}})
            async for d in cursor:
                m = message_from(d)
                roots[(m.conversation_id, m.id)] = m
        return [
            FollowedThread(f, roots[(f.conversation_id, f.root_id)])
            for f in follows
            if (f.conversation_id, f.root_id) in roots
        ]
