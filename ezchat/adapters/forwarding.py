"""Typed forwarding bases, one per storage port: every method hands the call to the wrapped
store through ``_forward``. A wrapper subclasses the base of its port and shows only what it
changes: the guard overrides ``_forward`` (every call), a cache overrides the reads it answers and
the writes it must follow. mypy checks every signature against the port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from ezchat.domain.access import AccessChange, Credentials, Revocation
from ezchat.domain.errors import EzChatError
from ezchat.domain.files import StoredFile
from ezchat.domain.messages import Message, NewMessage, Version
from ezchat.domain.model import (
    Contact,
    ContactPair,
    Conversation,
    Member,
    MemberChange,
    PointerUpdate,
    Presence,
    PresenceChange,
    User,
)
from ezchat.domain.outbox import Notification, PushSubscription
from ezchat.domain.search import SearchQuery
from ezchat.ports.files import FileRecordStore
from ezchat.ports.storage import (
    ContactStore,
    ConversationStore,
    MessageStore,
    OutboxStore,
    PushSubscriptionStore,
    RevocationStore,
    UserStore,
)

T = TypeVar("T")


class Forwarding:
    async def _forward(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one forwarded call (``method`` names it); wrappers acting on every call
        override this."""
        return await call()


class ForwardingUserStore(Forwarding):
    def __init__(self, inner: UserStore) -> None:
        self._inner = inner

    async def add(self, user: User, credentials: Credentials) -> None:
        await self._forward("add", lambda: self._inner.add(user, credentials))

    async def get(self, user_id: str) -> User | None:
        return await self._forward("get", lambda: self._inner.get(user_id))

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        return await self._forward("get_many", lambda: self._inner.get_many(user_ids))

    async def release_username(self, user_id: str, placeholder: str) -> bool:
        return await self._forward(
            "release_username", lambda: self._inner.release_username(user_id, placeholder)
        )

    async def get_by_external_id(self, external_id: str) -> User | None:
        return await self._forward(
            "get_by_external_id", lambda: self._inner.get_by_external_id(external_id)
        )

    async def get_by_username(self, username: str) -> User | None:
        return await self._forward("get_by_username", lambda: self._inner.get_by_username(username))

    async def credentials(self, user_id: str) -> Credentials | None:
        return await self._forward("credentials", lambda: self._inner.credentials(user_id))

    async def update(self, user: User) -> None:
        await self._forward("update", lambda: self._inner.update(user))

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        return await self._forward(
            "set_presence", lambda: self._inner.set_presence(user_id, status, last_seen)
        )

    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        return await self._forward(
            "set_presence_many", lambda: self._inner.set_presence_many(changes)
        )

    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        return await self._forward("set_access", lambda: self._inner.set_access(user_id, change))

    async def clear_presence(self) -> None:
        await self._forward("clear_presence", self._inner.clear_presence)

    async def search(self, prefix: str, limit: int, *, after: str = "") -> list[User]:
        return await self._forward("search", lambda: self._inner.search(prefix, limit, after=after))


class ForwardingContactStore(Forwarding):
    def __init__(self, inner: ContactStore) -> None:
        self._inner = inner

    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        return await self._forward("get", lambda: self._inner.get(owner_id, user_id))

    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        return await self._forward("pair", lambda: self._inner.pair(owner_id, user_id))

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        return await self._forward(
            "swap_pair",
            lambda: self._inner.swap_pair(owner_id, user_id, expected=expected, new=new),
        )

    async def list(self, owner_id: str) -> list[Contact]:
        return await self._forward("list", lambda: self._inner.list(owner_id))


class ForwardingConversationStore(Forwarding):
    def __init__(self, inner: ConversationStore) -> None:
        self._inner = inner

    async def add(self, conversation: Conversation) -> None:
        await self._forward("add", lambda: self._inner.add(conversation))

    async def get(self, conversation_id: str) -> Conversation | None:
        return await self._forward("get", lambda: self._inner.get(conversation_id))

    async def get_direct(self, direct_key: str) -> Conversation | None:
        return await self._forward("get_direct", lambda: self._inner.get_direct(direct_key))

    async def update_info(self, conversation: Conversation) -> Conversation:
        return await self._forward("update_info", lambda: self._inner.update_info(conversation))

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        return await self._forward(
            "set_pin_count", lambda: self._inner.set_pin_count(conversation_id, count)
        )

    async def delete(self, conversation_id: str) -> None:
        await self._forward("delete", lambda: self._inner.delete(conversation_id))

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        return await self._forward(
            "add_member", lambda: self._inner.add_member(conversation_id, member)
        )

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        return await self._forward(
            "remove_member", lambda: self._inner.remove_member(conversation_id, user_id)
        )

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        return await self._forward(
            "update_member", lambda: self._inner.update_member(conversation_id, user_id, change)
        )

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        return await self._forward("advance_pointers", lambda: self._inner.advance_pointers(update))

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        await self._forward(
            "advance_pointers_many", lambda: self._inner.advance_pointers_many(updates)
        )

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        return await self._forward("list_for_user", lambda: self._inner.list_for_user(user_id))

    async def ids_for_user(self, user_id: str) -> list[str]:
        return await self._forward("ids_for_user", lambda: self._inner.ids_for_user(user_id))


class ForwardingMessageStore(Forwarding):
    def __init__(self, inner: MessageStore) -> None:
        self._inner = inner

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        return await self._forward("add", lambda: self._inner.add(new, on_queued=on_queued))

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        return await self._forward("add_many", lambda: self._inner.add_many(news))

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        return await self._forward("get", lambda: self._inner.get(conversation_id, message_id))

    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        return await self._forward(
            "replace",
            lambda: self._inner.replace(message, expected_rev=expected_rev, earlier=earlier),
        )

    async def history(self, conversation_id: str, message_id: str) -> list[Version]:
        return await self._forward(
            "history", lambda: self._inner.history(conversation_id, message_id)
        )

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        return await self._forward(
            "page",
            lambda: self._inner.page(conversation_id, before=before, after=after, limit=limit),
        )

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        return await self._forward(
            "changed_since", lambda: self._inner.changed_since(conversation_id, rev, limit)
        )

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        return await self._forward(
            "last_messages", lambda: self._inner.last_messages(conversation_ids)
        )

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        return await self._forward(
            "count_unread", lambda: self._inner.count_unread(conversation_id, user_id, after_seq)
        )

    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        return await self._forward(
            "count_mentions",
            lambda: self._inner.count_mentions(conversation_id, user_id, after_seq),
        )

    async def search(
        self, conversation_ids: list[str], query: SearchQuery, limit: int
    ) -> tuple[list[Message], str | None]:
        return await self._forward(
            "search", lambda: self._inner.search(conversation_ids, query, limit)
        )

    async def conversations_with_file(self, file_id: str) -> list[str]:
        return await self._forward(
            "conversations_with_file", lambda: self._inner.conversations_with_file(file_id)
        )


class ForwardingRevocationStore(Forwarding):
    def __init__(self, inner: RevocationStore) -> None:
        self._inner = inner

    async def add(self, revocation: Revocation) -> None:
        await self._forward("add", lambda: self._inner.add(revocation))

    async def after(self, position: int, limit: int = 1000) -> tuple[list[Revocation], int]:
        return await self._forward("after", lambda: self._inner.after(position, limit))

    async def position(self) -> int:
        return await self._forward("position", self._inner.position)

    async def active(self, now: float) -> list[Revocation]:
        return await self._forward("active", lambda: self._inner.active(now))


class ForwardingOutboxStore(Forwarding):
    def __init__(self, inner: OutboxStore) -> None:
        self._inner = inner

    async def claim(self, *, now: float, lease_s: float, limit: int) -> list[Notification]:
        return await self._forward(
            "claim", lambda: self._inner.claim(now=now, lease_s=lease_s, limit=limit)
        )

    async def finish(self, entry: Notification) -> bool:
        return await self._forward("finish", lambda: self._inner.finish(entry))

    async def retry(
        self, entry: Notification, *, next_at: float, error: str, done: tuple[str, ...]
    ) -> bool:
        return await self._forward(
            "retry", lambda: self._inner.retry(entry, next_at=next_at, error=error, done=done)
        )

    async def bury(self, entry: Notification, *, error: str, done: tuple[str, ...]) -> bool:
        return await self._forward("bury", lambda: self._inner.bury(entry, error=error, done=done))

    async def counts(self) -> dict[str, int]:
        return await self._forward("counts", self._inner.counts)

    async def dead(self, limit: int) -> list[Notification]:
        return await self._forward("dead", lambda: self._inner.dead(limit))


class ForwardingPushSubscriptionStore(Forwarding):
    def __init__(self, inner: PushSubscriptionStore) -> None:
        self._inner = inner

    async def put(self, subscription: PushSubscription, *, keep: int) -> None:
        await self._forward("put", lambda: self._inner.put(subscription, keep=keep))

    async def remove(self, user_id: str, endpoint: str) -> bool:
        return await self._forward("remove", lambda: self._inner.remove(user_id, endpoint))

    async def remove_endpoint(self, endpoint: str) -> None:
        await self._forward("remove_endpoint", lambda: self._inner.remove_endpoint(endpoint))

    async def for_user(self, user_id: str) -> list[PushSubscription]:
        return await self._forward("for_user", lambda: self._inner.for_user(user_id))


class ForwardingFileRecordStore(Forwarding):
    def __init__(self, inner: FileRecordStore) -> None:
        self._inner = inner

    async def add(self, record: StoredFile, *, quota_bytes: int) -> bool:
        return await self._forward("add", lambda: self._inner.add(record, quota_bytes=quota_bytes))

    async def get(self, file_id: str) -> StoredFile | None:
        return await self._forward("get", lambda: self._inner.get(file_id))

    async def used_bytes(self, owner_id: str) -> int:
        return await self._forward("used_bytes", lambda: self._inner.used_bytes(owner_id))

    async def touch(self, file_id: str, now: float) -> bool:
        return await self._forward("touch", lambda: self._inner.touch(file_id, now))

    async def delete_if_idle(self, file_id: str, attached_before: float) -> bool:
        return await self._forward(
            "delete_if_idle", lambda: self._inner.delete_if_idle(file_id, attached_before)
        )

    async def idle(self, before: float, limit: int) -> list[StoredFile]:
        return await self._forward("idle", lambda: self._inner.idle(before, limit))
