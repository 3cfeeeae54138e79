"""TTL caches as wrappers implementing the store ports (cachetools).

- users by id (USER_CACHE_SIZE, USER_CACHE_TTL);
- conversations with their members, the membership lookup behind every send and every fan-out,
  and each user's conversation ids (QUERY_CACHE_SIZE, QUERY_CACHE_TTL);
- the newest history page of each conversation (MESSAGE_CACHE_SIZE messages, MESSAGE_CACHE_TTL).

Every write that goes through these wrappers updates or drops what it changes, so a reader in
this process never sees a stale membership, pointer or page. Writes made by other processes
reach these caches only through invalidations on the event bus (the scale-out work); until
then they expire with their TTL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ezchat.adapters.keyedcache import Counter, KeyedCache
from ezchat.domain.errors import EzChatError
from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    MessageChanged,
    MessagePosted,
    PresenceChanged,
    ReceiptMoved,
    UserUpdated,
)
from ezchat.domain.model import (
    Conversation,
    Credentials,
    Member,
    MemberChange,
    Message,
    NewMessage,
    Presence,
    User,
)
from ezchat.ports.storage import ConversationStore, MessageStore, PointerUpdate, UserStore

PAGE = 100  # messages kept per conversation: the largest page a client may ask for


@dataclass
class _Page:
    messages: list[Message]
    more: bool  # whether older messages exist beyond these


class Caches:
    """The cached data of one process, shared by the wrappers. Each is a ``KeyedCache``: a
    read that raced a change is never kept."""

    def __init__(
        self,
        *,
        user_size: int,
        user_ttl: float,
        query_size: int,
        query_ttl: float,
        message_size: int,
        message_ttl: float,
    ) -> None:
        self.users: KeyedCache[str, User] = KeyedCache(size=user_size, ttl=user_ttl)
        self.conversations: KeyedCache[str, Conversation] = KeyedCache(
            size=query_size, ttl=query_ttl
        )
        self.memberships: KeyedCache[str, tuple[str, ...]] = KeyedCache(
            size=query_size, ttl=query_ttl
        )
        self.pages: KeyedCache[str, _Page] = KeyedCache(
            size=max(message_size, PAGE) if message_size > 0 else 0,
            ttl=message_ttl,
            getsizeof=lambda p: max(len(p.messages), 1),
        )
        self.stats: dict[str, Counter] = {
            "users": self.users.stats,
            "conversations": self.conversations.stats,
            "memberships": self.memberships.stats,
            "pages": self.pages.stats,
        }

    def sizes(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "conversations": len(self.conversations),
            "memberships": len(self.memberships),
            "pages": len(self.pages),
            "page_messages": int(self.pages.currsize),
        }

    def forget_conversation(self, conv: Conversation | None, conversation_id: str) -> None:
        self.conversations.pop(conversation_id)
        self.pages.pop(conversation_id)
        for m in conv.members if conv else ():
            self.memberships.pop(m.user_id)

    def note_messages(self, conversation_id: str, messages: list[Message]) -> None:
        """New or changed messages: move the cached counters, update the cached page."""
        conv = self.conversations.peek(conversation_id)
        if conv is not None:
            activity = [m.created_at for m in messages if m.rev and m.seq > conv.last_seq]
            self.conversations.put(
                conversation_id,
                replace(
                    conv,
                    last_seq=max(conv.last_seq, *(m.seq for m in messages)),
                    rev=max(conv.rev, *(m.rev for m in messages)),
                    last_activity=(
                        max([conv.activity, *activity]) if activity else conv.last_activity
                    ),
                ),
            )
        else:
            self.conversations.pop(conversation_id)  # a load in flight predates these
        page = self.pages.peek(conversation_id)
        if page is None:
            self.pages.pop(conversation_id)  # likewise
            return
        msgs = list(page.messages)
        for m in messages:
            position = next((i for i, old in enumerate(msgs) if old.id == m.id), None)
            if position is not None:
                msgs[position] = m
            elif (msgs[-1].seq if msgs else 0) == m.seq - 1:
                msgs.append(m)
            elif not msgs or m.seq > msgs[-1].seq:
                # A message this process has not seen came first: the page can't be trusted.
                self.pages.pop(conversation_id)
                return
        more = page.more or len(msgs) > PAGE
        self.pages.put(conversation_id, _Page(msgs[-PAGE:], more))

    def apply_remote(self, event: Event) -> None:
        """Another process changed something: update or drop what this process holds of it."""
        if isinstance(event, MessagePosted | MessageChanged):
            self.note_messages(event.message.conversation_id, [event.message])
        elif isinstance(event, ReceiptMoved):
            conv = self.conversations.peek(event.conversation_id)
            old = conv.member(event.user_id) if conv else None
            if old is not None:
                self.note_member(
                    event.conversation_id,
                    replace(
                        old,
                        read_seq=max(old.read_seq, event.read_seq),
                        delivered_seq=max(old.delivered_seq, event.delivered_seq),
                    ),
                )
            else:
                self.conversations.pop(event.conversation_id)
        elif isinstance(event, ConversationDeleted):
            self.forget_conversation(event.conversation, event.conversation.id)
        elif isinstance(event, ConversationCreated | ConversationUpdated):
            self.conversations.pop(event.conversation.id)
            for user_id in event.recipients:
                self.memberships.pop(user_id)
        elif isinstance(event, MemberAdded | MemberRemoved):
            self.conversations.pop(event.conversation_id)
            self.memberships.pop(event.user_id)
        elif isinstance(event, UserUpdated | PresenceChanged):
            self.users.pop(event.user.id)

    def note_member(self, conversation_id: str, member: Member) -> None:
        conv = self.conversations.peek(conversation_id)
        if conv is not None and conv.member(member.user_id) is not None:
            members = tuple(member if m.user_id == member.user_id else m for m in conv.members)
            self.conversations.put(conversation_id, replace(conv, members=members))
        else:
            self.conversations.pop(conversation_id)


class CachedUserStore:
    def __init__(self, inner: UserStore, caches: Caches) -> None:
        self._inner = inner
        self._cache = caches.users

    async def add(self, user: User, credentials: Credentials) -> None:
        await self._inner.add(user, credentials)
        self._cache.put(user.id, user)

    async def get(self, user_id: str) -> User | None:
        return await self._cache.load(user_id, lambda: self._inner.get(user_id))

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        cache = self._cache
        found = {u: v for u in user_ids if (v := cache.get(u)) is not None}
        missing = [u for u in user_ids if u not in found]
        cache.stats.hits += len(found)
        cache.stats.misses += len(missing)
        if missing:
            tokens = {u: cache.begin(u) for u in dict.fromkeys(missing)}
            try:
                loaded = await self._inner.get_many(missing)
            finally:
                fresh = {u for u, token in tokens.items() if cache.end(u, token)}
            for u, user in loaded.items():
                if u in fresh:
                    cache.fill(u, user)
            found.update(loaded)
        return found

    async def get_by_username(self, username: str) -> User | None:
        return await self._inner.get_by_username(username)

    async def credentials(self, user_id: str) -> Credentials | None:
        return await self._inner.credentials(user_id)

    async def update(self, user: User) -> None:
        self._cache.pop(user.id)
        await self._inner.update(user)
        self._cache.pop(user.id)

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        user = await self._inner.set_presence(user_id, status, last_seen)
        if user is not None:
            self._cache.put(user_id, user)
        else:
            self._cache.pop(user_id)
        return user

    async def clear_presence(self) -> None:
        await self._inner.clear_presence()
        self._cache.clear()

    async def search(self, prefix: str, limit: int) -> list[User]:
        return await self._inner.search(prefix, limit)


class CachedConversationStore:
    def __init__(self, inner: ConversationStore, caches: Caches) -> None:
        self._inner = inner
        self._c = caches
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

    async def get_direct(self, direct_key: str) -> Conversation | None:
        return await self._inner.get_direct(direct_key)

    async def update_info(self, conversation: Conversation) -> Conversation:
        self._convs.pop(conversation.id)
        return self._keep(await self._inner.update_info(conversation))

    async def delete(self, conversation_id: str) -> None:
        conv = await self.get(conversation_id)
        self._c.forget_conversation(conv, conversation_id)
        await self._inner.delete(conversation_id)
        self._c.forget_conversation(conv, conversation_id)

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

    async def advance_pointers(
        self,
        conversation_id: str,
        user_id: str,
        *,
        read_seq: int | None = None,
        delivered_seq: int | None = None,
    ) -> Member:
        member = await self._inner.advance_pointers(
            conversation_id, user_id, read_seq=read_seq, delivered_seq=delivered_seq
        )
        self._c.note_member(conversation_id, member)
        return member

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        await self._inner.advance_pointers_many(updates)
        for u in updates:
            conv = self._convs.peek(u.conversation_id)
            old = conv.member(u.user_id) if conv else None
            if old is None:
                self._convs.pop(u.conversation_id)
                continue
            self._c.note_member(
                u.conversation_id,
                replace(
                    old,
                    read_seq=max(old.read_seq, u.read_seq),
                    delivered_seq=max(old.delivered_seq, u.delivered_seq, u.read_seq),
                ),
            )

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        ids = self._lists.get(user_id)
        if ids is None:
            self._lists.stats.misses += 1
            changes = self._convs.changes
            token = self._lists.begin(user_id)
            try:
                convs = await self._inner.list_for_user(user_id)
            finally:
                fresh = self._lists.end(user_id, token)
            if fresh:
                self._lists.put(user_id, tuple(c.id for c in convs))
            if self._convs.changes == changes:  # no conversation changed meanwhile
                for c in convs:
                    self._convs.fill(c.id, c)
            return [self._convs.peek(c.id) or c for c in convs]
        self._lists.stats.hits += 1
        out = []
        for cid in ids:
            conv = await self.get(cid)
            if conv is not None and conv.member(user_id) is not None:
                out.append(conv)
        return out


class CachedMessageStore:
    def __init__(self, inner: MessageStore, caches: Caches) -> None:
        self._inner = inner
        self._c = caches

    def _noted(self, results: list[Any]) -> None:
        by_conv: dict[str, list[Message]] = {}
        for r in results:
            if not isinstance(r, EzChatError) and r[1]:
                by_conv.setdefault(r[0].conversation_id, []).append(r[0])
        for conversation_id, messages in by_conv.items():
            self._c.note_messages(conversation_id, messages)

    async def add(self, new: NewMessage) -> tuple[Message, bool]:
        result = await self._inner.add(new)
        self._noted([result])
        return result

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        results = await self._inner.add_many(news)
        self._noted(results)
        return results

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        page = self._c.pages.peek(conversation_id)
        if page is not None:
            for m in reversed(page.messages):
                if m.id == message_id:
                    return m
        return await self._inner.get(conversation_id, message_id)

    async def replace(self, message: Message, *, expected_rev: int) -> Message:
        stored = await self._inner.replace(message, expected_rev=expected_rev)
        self._c.note_messages(stored.conversation_id, [stored])
        return stored

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        if before is not None or after is not None or limit > PAGE:
            return await self._inner.page(conversation_id, before=before, after=after, limit=limit)

        async def newest() -> _Page:
            msgs, more = await self._inner.page(
                conversation_id, before=None, after=None, limit=PAGE
            )
            return _Page(msgs, more)

        cached = await self._c.pages.load(conversation_id, newest)
        assert cached is not None
        msgs = cached.messages[-limit:]
        return msgs, cached.more or len(cached.messages) > limit

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        return await self._inner.changed_since(conversation_id, rev, limit)

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        out: dict[str, Message] = {}
        missing = []
        for cid in conversation_ids:
            page = self._c.pages.peek(cid)
            if page is not None and (page.messages or not page.more):
                if page.messages:
                    out[cid] = page.messages[-1]
            else:
                missing.append(cid)
        if missing:
            out.update(await self._inner.last_messages(missing))
        return out

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        page = self._c.pages.peek(conversation_id)
        if page is not None and page.messages and page.messages[0].seq <= after_seq + 1:
            return sum(
                1
                for m in page.messages
                if m.seq > after_seq and not m.deleted and m.sender_id != user_id
            )
        return await self._inner.count_unread(conversation_id, user_id, after_seq)

    async def search(
        self, conversation_ids: list[str], words: list[str], limit: int
    ) -> list[Message]:
        return await self._inner.search(conversation_ids, words, limit)
