"""Memory threads: replies indexed by root as they are added, follow records by thread and
by user."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain import threads
from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.threads import Follow, FollowedThread


class MemoryThreadStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _thread(self, conversation_id: str, root_id: str) -> list[Message]:
        """The root (when it exists) and its replies, in seq order."""
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None or root_id not in timeline.by_id:
            return []
        ids = [root_id, *self._db.replies.get((conversation_id, root_id), ())]
        return [timeline.messages[timeline.by_id[i]] for i in ids]

    async def summary(self, conversation_id: str, root_id: str) -> ThreadSummary:
        return threads.summarize(self._thread(conversation_id, root_id)[1:])

    async def page(
        self,
        conversation_id: str,
        root_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        found = [
            m
            for m in self._thread(conversation_id, root_id)
            if (after is None or m.seq > after) and (before is None or m.seq < before)
        ]
        if after is not None:
            return found[:limit], len(found) > limit
        return found[-limit:] if limit else [], len(found) > limit

    async def count_unread(
        self, conversation_id: str, root_id: str, user_id: str, after_seq: int
    ) -> int:
        return sum(
            1
            for m in self._thread(conversation_id, root_id)[1:]
            if m.seq > after_seq and m.counts_as_unread_for(user_id)
        )

    def _put(self, f: Follow) -> Follow:
        key = (f.conversation_id, f.root_id)
        self._db.follows.setdefault(key, {})[f.user_id] = f
        users = self._db.followed.setdefault(f.user_id, set())
        if f.following:
            users.add(key)
        else:
            users.discard(key)
        return f

    def _get(self, user_id: str, conversation_id: str, root_id: str) -> Follow | None:
        return self._db.follows.get((conversation_id, root_id), {}).get(user_id)

    async def follow(
        self, user_id: str, conversation_id: str, root_id: str, *, read_seq: int, renew: bool
    ) -> None:
        f = self._get(user_id, conversation_id, root_id)
        if f is None:
            self._put(Follow(user_id, conversation_id, root_id, True, read_seq))
        else:
            self._put(
                replace(f, following=f.following or renew, read_seq=max(f.read_seq, read_seq))
            )

    async def unfollow(self, user_id: str, conversation_id: str, root_id: str) -> None:
        f = self._get(user_id, conversation_id, root_id)
        self._put(
            Follow(user_id, conversation_id, root_id, False, 0)
            if f is None
            else replace(f, following=False)
        )

    async def read(self, user_id: str, conversation_id: str, root_id: str, seq: int) -> Follow:
        f = self._get(user_id, conversation_id, root_id)
        if f is None:
            return self._put(Follow(user_id, conversation_id, root_id, False, seq))
        return self._put(replace(f, read_seq=max(f.read_seq, seq)))

    async def follows(self, conversation_id: str, root_id: str) -> list[Follow]:
        return list(self._db.follows.get((conversation_id, root_id), {}).values())

    async def followed(self, user_id: str) -> list[FollowedThread]:
        out = []
        for conversation_id, root_id in list(self._db.followed.get(user_id, ())):
            thread = self._thread(conversation_id, root_id)
            f = self._get(user_id, conversation_id, root_id)
            if thread and f is not None:
                out.append(FollowedThread(f, thread[0]))
        return out
