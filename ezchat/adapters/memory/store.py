"""In-memory stores sharing one ``MemoryDatabase``. Entities are frozen, so values are shared
safely; each method completes without yielding, which makes it atomic on the event loop."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ezchat.domain.errors import Conflict, EzChatError, NotFound, StaleWrite
from ezchat.domain.ids import new_id
from ezchat.domain.model import (
    Contact,
    ContactPair,
    Conversation,
    Credentials,
    Member,
    MemberChange,
    Message,
    NewMessage,
    PointerUpdate,
    Presence,
    User,
)
from ezchat.ports.storage import Stores


@dataclass
class _Timeline:
    """One conversation's messages in seq order, with indexes by id and by rev."""

    messages: list[Message] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)  # id -> position
    by_rev: dict[int, str] = field(default_factory=dict)  # latest rev of a message -> id


@dataclass
class MemoryDatabase:
    users: dict[str, User] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, Credentials] = field(default_factory=dict)
    contacts: dict[str, dict[str, Contact]] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    direct_keys: dict[str, str] = field(default_factory=dict)
    memberships: dict[str, set[str]] = field(default_factory=dict)  # user id -> conversation ids
    timelines: dict[str, _Timeline] = field(default_factory=dict)
    client_ids: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


class MemoryUserStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, user: User, credentials: Credentials) -> None:
        if user.username in self._db.usernames:
            raise Conflict("username is taken")
        self._db.users[user.id] = user
        self._db.usernames[user.username] = user.id
        self._db.credentials[user.id] = credentials

    async def get(self, user_id: str) -> User | None:
        return self._db.users.get(user_id)

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        users = self._db.users
        return {u: users[u] for u in user_ids if u in users}

    async def get_by_username(self, username: str) -> User | None:
        user_id = self._db.usernames.get(username)
        return self._db.users.get(user_id) if user_id else None

    async def credentials(self, user_id: str) -> Credentials | None:
        return self._db.credentials.get(user_id)

    async def update(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is None:
            raise NotFound("user not found")
        self._db.users[user.id] = replace(
            stored, display_name=user.display_name, avatar_url=user.avatar_url
        )

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        stored = self._db.users.get(user_id)
        if stored is None:
            return None
        updated = self._db.users[user_id] = replace(stored, status=status, last_seen=last_seen)
        return updated

    async def clear_presence(self) -> None:
        for user_id, u in self._db.users.items():
            if u.status is not Presence.OFFLINE:
                self._db.users[user_id] = replace(u, status=Presence.OFFLINE)

    async def search(self, prefix: str, limit: int) -> list[User]:
        p = prefix.casefold()
        found = [
            u
            for u in self._db.users.values()
            if u.username.startswith(p) or u.display_name.casefold().startswith(p)
        ]
        found.sort(key=lambda u: u.username)
        return found[:limit]


class MemoryContactStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        return self._db.contacts.get(owner_id, {}).get(user_id)

    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        return ContactPair(await self.get(owner_id, user_id), await self.get(user_id, owner_id))

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        if await self.pair(owner_id, user_id) != expected:
            return False
        for owner, user, side in ((owner_id, user_id, new.mine), (user_id, owner_id, new.theirs)):
            contacts = self._db.contacts.setdefault(owner, {})
            contacts.pop(user, None)
            if side is not None:
                contacts[user] = side
        return True

    async def list(self, owner_id: str) -> list[Contact]:
        return sorted(self._db.contacts.get(owner_id, {}).values(), key=lambda c: c.since)


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
        self._db.timelines[conversation.id] = _Timeline()
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
            )
        )

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


class MemoryMessageStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _timeline(self, conversation_id: str) -> _Timeline:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            raise NotFound("conversation not found")
        return timeline

    async def add(self, new: NewMessage) -> tuple[Message, bool]:
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

    async def replace(self, message: Message, *, expected_rev: int) -> Message:
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
        return stored

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

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        timeline = self._db.timelines.get(conversation_id)
        if timeline is None:
            return 0
        start = bisect.bisect_right(timeline.seqs, after_seq)
        return sum(1 for m in timeline.messages[start:] if not m.deleted and m.sender_id != user_id)

    async def search(
        self, conversation_ids: list[str], words: list[str], limit: int
    ) -> list[Message]:
        found: list[Message] = []
        for cid in conversation_ids:
            timeline = self._db.timelines.get(cid)
            for m in timeline.messages if timeline else ():
                if not m.deleted and all(w in m.text.casefold() for w in words):
                    found.append(m)
        found.sort(key=lambda m: (m.created_at, m.seq), reverse=True)
        return found[:limit]


def memory_stores(db: MemoryDatabase | None = None) -> Stores:
    db = db if db is not None else MemoryDatabase()

    async def nothing() -> None:
        return None

    return Stores(
        users=MemoryUserStore(db),
        contacts=MemoryContactStore(db),
        conversations=MemoryConversationStore(db),
        messages=MemoryMessageStore(db),
        start=nothing,
        ping=nothing,
        aclose=nothing,
    )
