"""The forwarding bases of the stores that grew around messages: threads, pins, scheduled
messages, reports."""

from __future__ import annotations

from ezchat.adapters.forwarding import Forwarding
from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.reports import Report, ReportStatus, Resolution
from ezchat.domain.scheduled import Scheduled
from ezchat.domain.threads import Follow, FollowedThread
from ezchat.ports.pins import PinStore
from ezchat.ports.reports import ReportStore
from ezchat.ports.scheduled import ScheduledStore
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


class ForwardingScheduledStore(Forwarding):
    def __init__(self, inner: ScheduledStore) -> None:
        self._inner = inner

    async def add(self, item: Scheduled) -> Scheduled:
        return await self._forward("add", lambda: self._inner.add(item))

    async def get(self, item_id: str) -> Scheduled | None:
        return await self._forward("get", lambda: self._inner.get(item_id))

    async def for_user(self, user_id: str) -> list[Scheduled]:
        return await self._forward("for_user", lambda: self._inner.for_user(user_id))

    async def count_for_user(self, user_id: str) -> int:
        return await self._forward("count_for_user", lambda: self._inner.count_for_user(user_id))

    async def due(self, *, now: float, limit: int) -> list[Scheduled]:
        return await self._forward("due", lambda: self._inner.due(now=now, limit=limit))

    async def swap(self, item: Scheduled, *, expected_version: int) -> bool:
        return await self._forward(
            "swap", lambda: self._inner.swap(item, expected_version=expected_version)
        )

    async def remove(self, item_id: str, *, expected_version: int) -> bool:
        return await self._forward(
            "remove", lambda: self._inner.remove(item_id, expected_version=expected_version)
        )


class ForwardingReportStore(Forwarding):
    def __init__(self, inner: ReportStore) -> None:
        self._inner = inner

    async def add(self, report: Report) -> tuple[Report, bool]:
        return await self._forward("add", lambda: self._inner.add(report))

    async def get(self, report_id: str) -> Report | None:
        return await self._forward("get", lambda: self._inner.get(report_id))

    async def page(
        self, *, status: ReportStatus | None, before: tuple[float, str] | None, limit: int
    ) -> list[Report]:
        return await self._forward(
            "page", lambda: self._inner.page(status=status, before=before, limit=limit)
        )

    async def resolve(
        self, report_id: str, *, by: str, action: Resolution, at: float
    ) -> Report | None:
        return await self._forward(
            "resolve", lambda: self._inner.resolve(report_id, by=by, action=action, at=at)
        )
