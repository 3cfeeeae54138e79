"""Memory messages: one timeline per conversation, in seq order."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import replace

from ezchat.adapters.codec import time_out
from ezchat.adapters.memory.db import MemoryDatabase, Timeline
from ezchat.adapters.memory.outbox import open_notifications
from ezchat.domain import search
from ezchat.domain.errors import EzChatError, NotFound, StaleWrite
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message, NewMessage, Version, file_ids_of
from ezchat.domain.search import SearchQuery


class MemoryMessageStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _timeline(self, conversation_id: str) -> Timeline:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            raise NotFound("conversation not found")
        return timeline

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        existing = self._db.client_ids.get((new.sender_id, new.client_id))
        if existing is not None:
            conv_id, msg_id = existing
            t = self._db.timelines[conv_id]
            return t.messages[t.by_id[msg_id]], False
        conv = self._db.conversations.get(new.conversation_id)
        if conv is None:
            raise NotFound("conversation not found")
        timeline = self._timeline(conv.id)
        seq, rev = conv.last_seq + 1, conv.rev + 1
        message = new.stored(id=new_id(), seq=seq, rev=rev)
        timeline.by_id[message.id] = len(timeline.messages)
        timeline.messages.append(message)
        timeline.seqs.append(seq)
        timeline.by_rev[rev] = message.id
        self._db.client_ids[(new.sender_id, new.client_id)] = (conv.id, message.id)
        if message.thread_root is not None:
            self._db.replies.setdefault((conv.id, message.thread_root), []).append(message.id)
        self._refer(message)
        open_notifications(self._db, new.notifications(message))
        self._db.conversations[conv.id] = replace(
            conv, last_seq=seq, rev=rev, last_activity=new.created_at
        )
        return message, True

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        out: list[tuple[Message, bool] | EzChatError] = []
        for new in news:
            try:
                out.append(await self.add(new))
            except EzChatError as exc:
                out.append(exc)
        return out

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None or message_id not in timeline.by_id:
            return None
        return timeline.messages[timeline.by_id[message_id]]

    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        conv = self._db.conversations.get(message.conversation_id)
        timeline = self._db.timelines.get(message.conversation_id)
        if conv is None or timeline is None or message.id not in timeline.by_id:
            raise NotFound("message not found")
        pos = timeline.by_id[message.id]
        current = timeline.messages[pos]
        if current.rev != expected_rev:
            raise StaleWrite("the message changed since it was read")
        stored = replace(message, rev=conv.rev + 1)
        timeline.messages[pos] = stored
        del timeline.by_rev[current.rev]
        timeline.by_rev[stored.rev] = stored.id
        self._db.conversations[conv.id] = replace(conv, rev=stored.rev)
        self._refer(stored)
        key = (stored.conversation_id, stored.id)
        if stored.deleted:
            self._db.histories.pop(key, None)
        elif earlier is not None:
            self._db.histories.setdefault(key, []).append(earlier)
        return stored

    async def history(self, conversation_id: str, message_id: str) -> list[Version]:
        return list(self._db.histories.get((conversation_id, message_id), ()))

    def _refer(self, m: Message) -> None:
        for file_id in file_ids_of(m.attachments):
            self._db.file_refs.setdefault(file_id, set()).add((m.conversation_id, m.id))

    async def conversations_with_file(self, file_id: str) -> list[str]:
        out = set()
        for conv_id, msg_id in self._db.file_refs.get(file_id, set()).copy():
            m = await self.get(conv_id, msg_id)
            if m is not None and file_id in file_ids_of(m.attachments):
                out.add(conv_id)
            else:
                self._db.file_refs[file_id].discard((conv_id, msg_id))
        return sorted(out)

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            return [], False
        lo = bisect.bisect_right(timeline.seqs, after) if after is not None else 0
        hi = bisect.bisect_left(timeline.seqs, before) if before is not None else len(timeline.seqs)
        if hi <= lo:
            return [], False
        if after is not None:  # paging forward (or a range): the oldest first
            return timeline.messages[lo : min(hi, lo + limit)], hi - lo > limit
        start = max(lo, hi - limit)
        return timeline.messages[start:hi], start > lo

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            return [], False
        revs = sorted(r for r in timeline.by_rev if r > rev)
        picked = [timeline.messages[timeline.by_id[timeline.by_rev[r]]] for r in revs[:limit]]
        return picked, len(revs) > limit

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        out = {}
        for cid in conversation_ids:
            timeline = self._db.timelines.get(cid)
            if timeline and timeline.messages:
                out[cid] = timeline.messages[-1]
        return out

    def _unread(self, conversation_id: str, user_id: str, after_seq: int) -> list[Message]:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            return []
        start = bisect.bisect_right(timeline.seqs, after_seq)
        return [m for m in timeline.messages[start:] if m.counts_as_unread_for(user_id)]

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        return len(self._unread(conversation_id, user_id, after_seq))

    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        unread = self._unread(conversation_id, user_id, after_seq)
        return sum(1 for m in unread if user_id in m.mentions)

    async def search(
        self, conversation_ids: list[str], query: SearchQuery, limit: int
    ) -> tuple[list[Message], str | None]:
        q = query
        found: list[Message] = []
        for cid in conversation_ids:
            timeline = self._db.timelines.get(cid)
            for m in timeline.messages if timeline else ():
                if (
                    not m.deleted
                    and (q.sender_id is None or m.sender_id == q.sender_id)
                    and (q.before is None or m.created_at < q.before)
                    and (q.after is None or m.created_at > q.after)
                    and search.matches(m.text, q)
                ):
                    found.append(m)
        if q.order is search.Order.RELEVANCE:
            found.sort(key=lambda m: (-search.score(m.text, q), -m.created_at.timestamp(), m.id))
            start = search.offset_of(q.position)
            page = found[start : start + limit]
            return page, search.next_offset(start, limit, len(found) > start + limit)
        found.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        if q.position is not None:
            bound = search.keyset_of(q.position)
            found = [m for m in found if (time_out(m.created_at) or "", m.id) < bound]
        page = found[:limit]
        if len(found) <= limit:
            return page, None
        return page, search.keyset(time_out(page[-1].created_at) or "", page[-1].id)
