"""Conversations with their members (the membership lookup behind every send and fan-out) and
each user's conversation ids (QUERY_CACHE_SIZE, QUERY_CACHE_TTL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ezchat.adapters.caching.caches import Caches
from ezchat.adapters.forwarding import ForwardingConversationStore
from ezchat.domain.model import Conversation, Member, MemberChange, PointerUpdate
from ezchat.ports.storage import ConversationStore


class CachedConversationStore(ForwardingConversationStore):
    def __init__(self, inner: ConversationStore, caches: Caches) -> None:
        super().__init__(inner)
        self._caches = caches
        self._convs = caches.conversations
        self._lists = caches.memberships

    def _keep(self, conv: Conversation) -> Conversation:
        """The conversation as a write of this process left it."""
        self._convs.put(conv.id, conv)
        return conv

    async def add(self, conversation: Conversation) -> None:
        await self._inner.add(conversation)
        for m in conversation.members:
            self._lists.pop(m.user_id)

    async def get(self, conversation_id: str) -> Conversation | None:
        return await self._convs.load(conversation_id, lambda: self._inner.get(conversation_id))

    async def update_info(self, conversation: Conversation) -> Conversation:
        self._convs.pop(conversation.id)
        return self._keep(await self._inner.update_info(conversation))

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        self._convs.pop(conversation_id)
        return self._keep(await self._inner.set_pin_count(conversation_id, count))

    async def delete(self, conversation_id: str) -> None:
        conv = await self.get(conversation_id)
        self._caches.forget_conversation(conv, conversation_id)
        await self._inner.delete(conversation_id)
        self._caches.forget_conversation(conv, conversation_id)

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        self._convs.pop(conversation_id)
        self._lists.pop(member.user_id)
        conv = await self._inner.add_member(conversation_id, member)
        self._lists.pop(member.user_id)
        return self._keep(conv)

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        self._convs.pop(conversation_id)
        self._lists.pop(user_id)
        conv = await self._inner.remove_member(conversation_id, user_id)
        self._lists.pop(user_id)
        return self._keep(conv)

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        self._convs.pop(conversation_id)
        return self._keep(await self._inner.update_member(conversation_id, user_id, change))

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        member = await self._inner.advance_pointers(update)
        self._caches.note_member(update.conversation_id, member)
        return member

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        await self._inner.advance_pointers_many(updates)
        by_conversation: dict[str, list[PointerUpdate]] = {}
        for u in updates:
            by_conversation.setdefault(u.conversation_id, []).append(u)
        for conversation_id, moves in by_conversation.items():
            conv = self._convs.get(conversation_id)
            if conv is None or any(conv.member(u.user_id) is None for u in moves):
                self._convs.pop(conversation_id)
            else:  # one copy of the members for all of this conversation's moves
                self._convs.put(conversation_id, conv.with_pointers(moves))

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        """The user's conversation ids (cached per user), each conversation read through the
        conversation cache that every member shares: a crowd of members of one large group
        connecting at once reads it once, not once each."""
        ids = self._lists.get(user_id)
        if ids is None:
            self._lists.stats.misses += 1
            token = self._lists.begin(user_id)
            try:
                found = await self._inner.ids_for_user(user_id)
            finally:
                fresh = self._lists.end(user_id, token)
            ids = tuple(found)
            if fresh:
                self._lists.put(user_id, ids)
        else:
            self._lists.stats.hits += 1
        cached = [self._convs.get(cid) for cid in ids]
        missing = [cid for cid, conv in zip(ids, cached, strict=True) if conv is None]
        if missing:
            read = dict(zip(missing, await asyncio.gather(*map(self.get, missing)), strict=True))
            cached = [conv or read[cid] for cid, conv in zip(ids, cached, strict=True)]
        return [c for c in cached if c is not None and c.member(user_id) is not None]

    async def ids_for_user(self, user_id: str) -> list[str]:
        return [c.id for c in await self.list_for_user(user_id)]
