"""The newest page of each conversation (up to 100 messages; MESSAGE_CACHE_SIZE messages in
all, MESSAGE_CACHE_TTL), and the conversation counters every message write moves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ezchat.adapters.caching.caches import PAGE, Caches, _Page
from ezchat.adapters.forwarding import ForwardingMessageStore
from ezchat.domain.errors import EzChatError
from ezchat.domain.messages import Message, NewMessage, Version
from ezchat.ports.storage import MessageStore


class CachedMessageStore(ForwardingMessageStore):
    def __init__(self, inner: MessageStore, caches: Caches) -> None:
        super().__init__(inner)
        self._caches = caches

    def _noted(self, results: list[Any]) -> None:
        by_conv: dict[str, list[Message]] = {}
        for r in results:
            if not isinstance(r, EzChatError) and r[1]:
                by_conv.setdefault(r[0].conversation_id, []).append(r[0])
        for conversation_id, messages in by_conv.items():
            self._caches.note_messages(conversation_id, messages)

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        result = await self._inner.add(new, on_queued=on_queued)
        self._noted([result])
        return result

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        results = await self._inner.add_many(news)
        self._noted(results)
        return results

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        page = self._caches.pages.get(conversation_id)
        if page is not None:
            for m in reversed(page.messages):
                if m.id == message_id:
                    return m
        return await super().get(conversation_id, message_id)

    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        stored = await self._inner.replace(message, expected_rev=expected_rev, earlier=earlier)
        self._caches.note_messages(stored.conversation_id, [stored])
        return stored

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        if before is not None or after is not None or limit > PAGE:
            return await self._inner.page(conversation_id, before=before, after=after, limit=limit)

        cached = await self._newest(conversation_id)
        msgs = cached.messages[-limit:]
        return msgs, cached.more or len(cached.messages) > limit

    async def _newest(self, conversation_id: str) -> _Page:
        async def newest() -> _Page:
            msgs, more = await self._inner.page(
                conversation_id, before=None, after=None, limit=PAGE
            )
            return _Page(msgs, more)

        cached = await self._caches.pages.load(conversation_id, newest)
        assert cached is not None
        return cached

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        """From the newest page when it is the whole conversation (every change is then in
        it): a crowd syncing a conversation after a restart costs one read, shared."""
        conv = self._caches.conversations.get(conversation_id)
        page = self._caches.pages.get(conversation_id)
        if page is None and conv is not None and conv.last_seq <= PAGE:
            page = await self._newest(conversation_id)  # will be whole: load it once for all
        if page is not None and not page.more:
            changed = sorted((m for m in page.messages if m.rev > rev), key=lambda m: m.rev)
            return changed[:limit], len(changed) > limit
        return await self._inner.changed_since(conversation_id, rev, limit)

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        out: dict[str, Message] = {}
        missing = []
        for cid in conversation_ids:
            page = self._caches.pages.get(cid)
            if page is not None and (page.messages or not page.more):
                if page.messages:
                    out[cid] = page.messages[-1]
            else:
                missing.append(cid)
        if missing:
            out.update(await self._inner.last_messages(missing))
        return out

    def _unread_from_page(
        self, conversation_id: str, user_id: str, after_seq: int
    ) -> list[Message] | None:
        """The unread messages, when the cached page reaches back far enough; else None."""
        page = self._caches.pages.get(conversation_id)
        if page is None or not page.messages or page.messages[0].seq > after_seq + 1:
            return None
        return [m for m in page.messages if m.seq > after_seq and m.counts_as_unread_for(user_id)]

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        unread = self._unread_from_page(conversation_id, user_id, after_seq)
        if unread is None:
            return await self._inner.count_unread(conversation_id, user_id, after_seq)
        return len(unread)

    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        unread = self._unread_from_page(conversation_id, user_id, after_seq)
        if unread is None:
            return await self._inner.count_mentions(conversation_id, user_id, after_seq)
        return sum(1 for m in unread if user_id in m.mentions)
