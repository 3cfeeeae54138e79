"""Threads: a thread's messages, following it, reading it, and the followed threads list."""

from __future__ import annotations

from typing import Any

from ezchat.entry import cursors, serialize
from ezchat.entry.handlers.base import ApiHandler
from ezchat.services.threads import ThreadView


def thread_view(v: ThreadView) -> dict[str, Any]:
    return {
        "conversation_id": v.root.conversation_id,
        "root": serialize.message(v.root),
        "following": v.follow.following,
        "read_seq": v.follow.read_seq,
        "unread_count": v.unread_count,
    }


class ThreadHandler(ApiHandler):
    async def get(self, conversation_id: str, message_id: str) -> None:
        messages, has_more = await self.services.threads.page(
            self.user.id,
            conversation_id,
            message_id,
            before=self.query_int("before", default=None),
            after=self.query_int("after", default=None),
            limit=self.limit(),
        )
        self.finish(self.services.json.page(messages, has_more))


class FollowHandler(ApiHandler):
    async def put(self, conversation_id: str, message_id: str) -> None:
        await self._set(conversation_id, message_id, on=True)

    async def delete(self, conversation_id: str, message_id: str) -> None:
        await self._set(conversation_id, message_id, on=False)

    async def _set(self, conversation_id: str, message_id: str, *, on: bool) -> None:
        view = await self.services.threads.follow(self.user.id, conversation_id, message_id, on=on)
        self.reply(thread_view(view))


class ThreadReadHandler(ApiHandler):
    async def post(self, conversation_id: str, message_id: str) -> None:
        seq = self.body().integer("seq")
        view = await self.services.threads.mark_read(self.user.id, conversation_id, message_id, seq)
        self.reply(thread_view(view))


class ThreadsHandler(ApiHandler):
    async def get(self) -> None:
        cursor = self.get_query_argument("cursor", None)
        views, after = await self.services.threads.followed(
            self.user.id,
            limit=self.limit(),
            after=cursors.decode_thread(cursor) if cursor else None,
        )
        self.reply(
            {
                "threads": [thread_view(v) for v in views],
                "next_cursor": cursors.encode_thread(after) if after else None,
            }
        )
