"""The forwarding bases of the thread and pin stores."""

from __future__ import annotations

from ezchat.adapters.forwarding import Forwarding
from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.threads import Follow, FollowedThread
from ezchat.ports.pins import PinStore
from ezchat.ports.threads import ThreadStore


class ForwardingThreadStore(Forwarding):
    def __init__(self, inner: ThreadStore) -> None:
        self._inner = inner

    async def summary(self, conversation_id: str, root_id: str) -> ThreadSummary:
        return await self._forward("summary", lambda: self._inner.summary(conversation_id, root_id))

    async def page(
        self,
        conversation_id: str,
        root_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        return await self._forward(
            "page",
            lambda: self._inner.page(
                conversation_id, root_id, before=before, after=after, limit=limit
            ),
        )

    async def count_unread(
        self, conversation_id: str, root_id: str, user_id: str, after_seq: int
    ) -> int:
        return await self._forward(
            "count_unread",
            lambda: self._inner.count_unread(conversation_id, root_id, user_id, after_seq),
        )

    async def follow(
        self, user_id: str, conversation_id: str, root_id: str, *, read_seq: int, renew: bool
    ) -> None:
        await self._forward(
            "follow",
            lambda: self._inner.follow(
                user_id, conversation_id, root_id, read_seq=read_seq, renew=renew
            ),
        )

    async def unfollow(self, user_id: str, conversation_id: str, root_id: str) -> None:
        await self._forward(
            "unfollow", lambda: self._inner.unfollow(user_id, conversation_id, root_id)
        )

    async def read(self, user_id: str, conversation_id: str, root_id: str, seq: int) -> Follow:
        return await self._forward(
            "read", lambda: self._inner.read(user_id, conversation_id, root_id, seq)
        )

    async def follows(self, conversation_id: str, root_id: str) -> list[Follow]:
        return await self._forward("follows", lambda: self._inner.follows(conversation_id, root_id))

    async def followed(self, user_id: str) -> list[FollowedThread]:
        return await self._forward("followed", lambda: self._inner.followed(user_id))


class ForwardingPinStore(Forwarding):
    def __init__(self, inner: PinStore) -> None:
        self._inner = inner

    async def pinned(self, conversation_id: str, limit: int) -> list[Message]:
        return await self._forward("pinned", lambda: self._inner.pinned(conversation_id, limit))

    async def count(self, conversation_id: str) -> int:
        return await self._forward("count", lambda: self._inner.count(conversation_id))
