"""MongoDB messages, without transactions.

seq and rev are allocated as "highest present + 1" under the unique indexes (conversation_id,
seq) and (conversation_id, rev); a writer that loses the race gets a duplicate-key error and
takes the next ones. So rev N exists only once rev N-1 is visible, and a client syncing by rev
can never step over a change still being written, across any number of processes. The
conversation's last_seq, rev and last_activity follow with $max.

Just over 300 lines on purpose: allocation, its retries, the per-item BSON check and the reads
that rely on the same indexes are one mechanism, easier to check in one place."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from ezchat.adapters.codec import (
    time_out,
    version_in,
    version_out,
)
from ezchat.adapters.mongo.db import MongoDatabase, duplicate_of, translated
from ezchat.adapters.mongo.files import conversations_with_file
from ezchat.adapters.mongo.message_docs import message_doc, message_from, unstorable
from ezchat.adapters.mongo.outbox import open_notifications
from ezchat.adapters.mongo.search import search_messages
from ezchat.domain.errors import (
    EzChatError,
    InvalidRequest,
    NotFound,
    StaleWrite,
    TransientStorageError,
)
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message, NewMessage, Version
from ezchat.domain.search import SearchQuery

log = logging.getLogger(__name__)

# A hot conversation with writers in several processes may lose a few allocation races in a row.
MAX_ALLOCATION_ROUNDS = 50

Result = tuple[Message, bool] | EzChatError


def _unread(conversation_id: str, user_id: str, after_seq: int) -> dict[str, Any]:
    """Others' messages above ``after_seq``, not deleted."""
    return {
        "conversation_id": conversation_id,
        "seq": {"$gt": after_seq},
        "sender_id": {"$ne": user_id},
        "deleted": {"$ne": True},
    }


class MongoMessageStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._db = db
        self._messages = db["messages"]
        self._history = self._messages.with_options(read_preference=db.history_reads)
        self._convs = db["conversations"]
        self._outbox = db["outbox"]

    async def _highest(self, conversation_id: str, field: str) -> int:
        docs = (
            await self._messages.find({"conversation_id": conversation_id}, {field: 1})
            .sort(field, DESCENDING)
            .limit(1)
            .to_list(1)
        )
        return int(docs[0][field]) if docs else 0

    async def _follow(self, conversation_id: str, messages: list[Message]) -> None:
        """Move the conversation's counters up to what now exists."""
        await self._convs.update_one(
            {"_id": conversation_id},
            {
                "$max": {
                    "last_seq": max(m.seq for m in messages),
                    "rev": max(m.rev for m in messages),
                    "last_activity": max(time_out(m.created_at) or "" for m in messages),
                }
            },
        )

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        result = (await self.add_many([new]))[0]
        if isinstance(result, EzChatError):
            raise result
        return result

    @translated
    async def add_many(self, news: Sequence[NewMessage]) -> list[Result]:
        results: list[Result | None] = [unstorable(n) for n in news]
        good = [n for n, r in zip(news, results, strict=True) if r is None]
        # Repeats are looked for in the message's own conversation (a query a sharded cluster
        # sends to one shard); a client_id reused in another conversation shows up as the
        # unique index's refusal on insert, and is looked up everywhere then (rare).
        existing = await self._originals(
            {(n.sender_id, n.client_id) for n in good}, {n.conversation_id for n in good}
        )
        todo: dict[str, list[int]] = {}
        for i, n in enumerate(news):
            if results[i] is not None:
                continue
            if (n.sender_id, n.client_id) in existing:
                results[i] = (existing[(n.sender_id, n.client_id)], False)
            else:
                todo.setdefault(n.conversation_id, []).append(i)
        live = {d["_id"] async for d in self._convs.find({"_id": {"$in": list(todo)}}, {"_id": 1})}
        for conversation_id, indexes in todo.items():
            if conversation_id not in live:
                for i in indexes:
                    results[i] = NotFound("conversation not found")
                continue
            await self._insert_in_order(conversation_id, [(i, news[i]) for i in indexes], results)
        created = [
            entry
            for new, result in zip(news, results, strict=True)
            if isinstance(result, tuple) and result[1]
            for entry in new.notifications(result[0])
        ]
        if created:
            try:
                await open_notifications(self._outbox, created)
            except PyMongoError as exc:  # the messages are stored: their sends succeeded
                log.error("notifications of %d messages not queued: %s", len(created), exc)
        return [r if r is not None else InvalidRequest("message not written") for r in results]

    async def _originals(
        self, pairs: set[tuple[str, str]], conversations: set[str] | None = None
    ) -> dict[tuple[str, str], Message]:
        """The stored messages of these (sender, client_id) pairs: in ``conversations`` when
        given, else wherever they are."""
        if not pairs:
            return {}
        found: dict[str, Any] = {"$or": [{"sender_id": s, "client_id": c} for s, c in pairs]}
        if conversations is not None:
            found["conversation_id"] = {"$in": sorted(conversations)}
        cursor = self._messages.find(found)
        return {(d["sender_id"], d["client_id"]): message_from(d) async for d in cursor}

    async def _insert_in_order(
        self,
        conversation_id: str,
        pending: list[tuple[int, NewMessage]],
        results: list[Result | None],
    ) -> None:
        written: list[Message] = []
        for _ in range(MAX_ALLOCATION_ROUNDS):
            if not pending:
                break
            seq = await self._highest(conversation_id, "seq")
            rev = await self._highest(conversation_id, "rev")
            batch = [
                n.stored(id=new_id(), seq=seq + k + 1, rev=rev + k + 1)
                for k, (_, n) in enumerate(pending)
            ]
            try:
                await self._messages.insert_many([message_doc(m) for m in batch], ordered=True)
                done, error = len(batch), None
            except BulkWriteError as exc:
                done = exc.details.get("nInserted", 0)
                error = (exc.details.get("writeErrors") or [{}])[0]
            for k in range(done):
                results[pending[k][0]] = (batch[k], True)
                written.append(batch[k])
            if error is None:
                pending = []
                break
            index, new = pending[done]
            kind = duplicate_of(error)
            if kind == "client":  # sent twice within this batch, or by another process
                original = (await self._originals({(new.sender_id, new.client_id)})).get(
                    (new.sender_id, new.client_id)
                )
                results[index] = (original, False) if original else InvalidRequest("duplicate")
                pending = pending[done + 1 :]
            elif kind == "alloc":  # another writer took that seq or rev: take the next ones
                pending = pending[done:]
            else:
                results[index] = InvalidRequest(
                    f"message refused by the store: {error.get('errmsg')}"
                )
                pending = pending[done + 1 :]
        for index, _ in pending:
            results[index] = TransientStorageError("too much contention on this conversation")
        if written:
            await self._follow(conversation_id, written)

    @translated
    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        doc = await self._messages.find_one({"_id": message_id, "conversation_id": conversation_id})
        return message_from(doc) if doc else None

    @translated
    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        m = message
        for _ in range(MAX_ALLOCATION_ROUNDS):
            stored = replace(m, rev=await self._highest(m.conversation_id, "rev") + 1)
            doc = message_doc(stored)
            changes = {
                k: doc[k]
                for k in (
                    "rev",
                    "text",
                    "text_folded",
                    "attachments",
                    "reactions",
                    "edited_at",
                    "deleted",
                    "mentions",
                    "forwarded_from",
                    "thread",
                    "pinned_at",
                    "pinned_by",
                    "previews",
                )
            }
            update: dict[str, Any] = {"$set": changes}
            if m.deleted:
                changes["history"] = []
            elif earlier is not None:
                # Kept as JSON text: nx-27017 turns pushed subdocuments into text anyway.
                update["$push"] = {"history": json.dumps(version_out(earlier))}
            try:
                result = await self._messages.update_one(
                    {"_id": m.id, "conversation_id": m.conversation_id, "rev": expected_rev},
                    update,
                )
            except DuplicateKeyError:
                continue  # that rev was just taken: take the next
            if result.matched_count == 0:
                if await self.get(m.conversation_id, m.id) is None:
                    raise NotFound("message not found")
                raise StaleWrite("the message changed since it was read")
            await self._convs.update_one({"_id": m.conversation_id}, {"$max": {"rev": stored.rev}})
            # What this write stored, not a re-read: a later change by another writer belongs
            # to that writer's answer and event, never to this one's.
            return stored
        raise TransientStorageError("too much contention on this conversation")

    @translated
    async def history(self, conversation_id: str, message_id: str) -> list[Version]:
        doc = await self._messages.find_one(
            {"_id": message_id, "conversation_id": conversation_id}, {"history": 1}
        )
        return [version_in(json.loads(v)) for v in (doc or {}).get("history", [])]

    @translated
    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        bounds: dict[str, int] = {}
        if after is not None:
            bounds["$gt"] = after
        if before is not None:
            bounds["$lt"] = before
        query: dict[str, Any] = {"conversation_id": conversation_id}
        if bounds:
            query["seq"] = bounds
        forward = after is not None
        # Older pages (a bound below the newest) may come from MONGODB_READ_PREFERENCE; the
        # newest page, which caches keep and clients sync against, from the primary.
        source = self._history if before is not None and after is None else self._messages
        docs = (
            await source.find(query)
            .sort("seq", ASCENDING if forward else DESCENDING)
            .limit(limit + 1)
            .to_list(limit + 1)
        )
        picked = [message_from(d) for d in docs[:limit]]
        return (picked if forward else picked[::-1]), len(docs) > limit

    @translated
    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        docs = (
            await self._messages.find({"conversation_id": conversation_id, "rev": {"$gt": rev}})
            .sort("rev", ASCENDING)
            .limit(limit + 1)
            .to_list(limit + 1)
        )
        return [message_from(d) for d in docs[:limit]], len(docs) > limit

    @translated
    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        out = {}
        for cid in conversation_ids:
            docs = (
                await self._messages.find({"conversation_id": cid})
                .sort("seq", DESCENDING)
                .limit(1)
                .to_list(1)
            )
            if docs:
                out[cid] = message_from(docs[0])
        return out

    @translated
    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        return int(
            await self._messages.count_documents(_unread(conversation_id, user_id, after_seq))
        )

    @translated
    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        query = {**_unread(conversation_id, user_id, after_seq), "mentions": user_id}
        return int(await self._messages.count_documents(query))

    @translated
    async def search(
        self, conversation_ids: list[str], query: SearchQuery, limit: int
    ) -> tuple[list[Message], str | None]:
        return await search_messages(
            self._history, self._db.text_index, conversation_ids, query, limit
        )

    async def conversations_with_file(self, file_id: str) -> list[str]:
        return await conversations_with_file(self._messages, file_id)
