"""Memory conversations and members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase, Timeline
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Conversation, Member, MemberChange, PointerUpdate


class MemoryConversationStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _get(self, conversation_id: str) -> Conversation:
        conv = self._db.conversations.get(conversation_id)
        if conv is None:
            raise NotFound("conversation not found")
        return conv

    def _put(self, conv: Conversation) -> Conversation:
        self._db.conversations[conv.id] = conv
        return conv

    async def add(self, conversation: Conversation) -> None:
        key = conversation.direct_key
        if key is not None:
            if key in self._db.direct_keys:
                raise Conflict("the direct conversation exists")
            self._db.direct_keys[key] = conversation.id
        self._put(conversation)
        self._db.timelines[conversation.id] = Timeline()
        for m in conversation.members:
            self._db.memberships.setdefault(m.user_id, set()).add(conversation.id)

    async def get(self, conversation_id: str) -> Conversation | None:
        return self._db.conversations.get(conversation_id)

    async def get_direct(self, direct_key: str) -> Conversation | None:
        cid = self._db.direct_keys.get(direct_key)
        return self._db.conversations.get(cid) if cid else None

    async def update_info(self, conversation: Conversation) -> Conversation:
        conv = self._get(conversation.id)
        return self._put(
            replace(
                conv,
                name=conversation.name,
                description=conversation.description,
                avatar_url=conversation.avatar_url,
                members_can_pin=conversation.members_can_pin,
                retention_days=conversation.retention_days,
            )
        )

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        return self._put(replace(self._get(conversation_id), pin_count=count))

    async def delete(self, conversation_id: str) -> None:
        conv = self._db.conversations.pop(conversation_id, None)
        if conv is None:
            return
        if conv.direct_key:
            self._db.direct_keys.pop(conv.direct_key, None)
        for m in conv.members:
            self._db.memberships.get(m.user_id, set()).discard(conversation_id)
        timeline = self._db.timelines.pop(conversation_id, None)
        for msg in timeline.messages if timeline else ():
            self._db.client_ids.pop((msg.sender_id, msg.client_id), None)

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        conv = self._get(conversation_id)
        if conv.member(member.user_id) is not None:
            raise Conflict("user is a member already")
        self._db.memberships.setdefault(member.user_id, set()).add(conversation_id)
        return self._put(conv.with_member(member))

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        conv = self._get(conversation_id)
        self._db.memberships.get(user_id, set()).discard(conversation_id)
        return self._put(conv.without_member(user_id))

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        conv = self._get(conversation_id)
        old = conv.member(user_id)
        if old is None:
            raise NotFound("user is not a member")
        new = change.applied(old)
        members = tuple(new if m.user_id == user_id else m for m in conv.members)
        return self._put(replace(conv, members=members))

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        conv = self._get(update.conversation_id)
        old = conv.member(update.user_id)
        if old is None:
            raise NotFound("user is not a member")
        new = old.advanced(update)
        members = tuple(new if m.user_id == update.user_id else m for m in conv.members)
        self._put(replace(conv, members=members))
        return new

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        for u in updates:
            try:
                await self.advance_pointers(u)
            except NotFound:
                continue

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        convs = self._db.conversations
        return [convs[c] for c in self._db.memberships.get(user_id, ()) if c in convs]

    async def ids_for_user(self, user_id: str) -> list[str]:
        convs = self._db.conversations
        return [c for c in self._db.memberships.get(user_id, ()) if c in convs]
