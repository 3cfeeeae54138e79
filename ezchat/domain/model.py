"""Entities of the chat domain. Frozen: a change is a new value (``dataclasses.replace``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from ezchat.domain.outbox import Notification, OutboxState


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class ContactState(StrEnum):
    ACCEPTED = "accepted"
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    BLOCKED = "blocked"


class ConversationType(StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class NotifyLevel(StrEnum):
    """What of a conversation reaches a member who is not looking."""

    ALL = "all"
    MENTIONS = "mentions"
    NONE = "none"


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    created_at: datetime
    avatar_url: str | None = None
    status: Presence = Presence.OFFLINE
    last_seen: datetime | None = None
    # Access, never shown: a disabled user's tokens all fail; tokens issued before
    # ``sessions_after`` (epoch seconds) fail too, except the one named ``session_kept``.
    disabled: bool = False
    sessions_after: float = 0.0
    session_kept: str | None = None

    def admits(self, *, token_id: str | None, issued_at: float) -> bool:
        """Whether a token of this user, with that id and issue time, still works."""
        if self.disabled:
            return False
        return issued_at >= self.sessions_after or (
            token_id is not None and token_id == self.session_kept
        )


@dataclass(frozen=True)
class PresenceChange:
    """One user's status and last_seen, as one write of a batch sets them."""

    user_id: str
    status: Presence
    last_seen: datetime


@dataclass(frozen=True)
class Contact:
    """One side of a relation, as its ``owner_id`` sees it."""

    owner_id: str
    user_id: str
    state: ContactState
    since: datetime


@dataclass(frozen=True)
class ContactPair:
    """Both sides of one relation, read or written together: ``mine`` is the owner's view of
    the other user, ``theirs`` the other user's view of the owner; None where there is none."""

    mine: Contact | None = None
    theirs: Contact | None = None


@dataclass(frozen=True)
class Member:
    """A member of a conversation and that member's own state in it."""

    user_id: str
    role: Role
    joined_at: datetime
    read_seq: int = 0
    delivered_seq: int = 0
    pinned: bool = False
    muted: bool = False
    notify: NotifyLevel | None = None  # None: the conversation type's default

    def advanced(self, update: PointerUpdate) -> Member:
        """The member with both pointers moved forward only (never back)."""
        return replace(
            self,
            read_seq=max(self.read_seq, update.read_seq),
            delivered_seq=max(self.delivered_seq, update.delivered_seq, update.read_seq),
        )


@dataclass(frozen=True)
class PointerUpdate:
    """A member's read and delivered pointers moving forward. Reading implies delivery, so
    make one with ``PointerUpdate.of``: its delivered pointer is never behind its read one."""

    conversation_id: str
    user_id: str
    read_seq: int
    delivered_seq: int

    @classmethod
    def of(
        cls, conversation_id: str, user_id: str, *, read_seq: int = 0, delivered_seq: int = 0
    ) -> PointerUpdate:
        return cls(conversation_id, user_id, read_seq, max(delivered_seq, read_seq))

    def merged(self, newer: PointerUpdate) -> PointerUpdate:
        """Both moves of one member as one: each pointer as far as either took it."""
        return replace(
            self,
            read_seq=max(self.read_seq, newer.read_seq),
            delivered_seq=max(self.delivered_seq, newer.delivered_seq),
        )


@dataclass(frozen=True)
class MemberChange:
    """The fields of a member that one write changes; None leaves a field as it is, so that
    writers changing different fields (an admin the role, the member its settings) never undo
    each other."""

    role: Role | None = None
    pinned: bool | None = None
    muted: bool | None = None
    notify: NotifyLevel | None = None

    def fields(self) -> dict[str, object]:
        pairs = (
            ("role", self.role),
            ("pinned", self.pinned),
            ("muted", self.muted),
            ("notify", self.notify),
        )
        return {k: v for k, v in pairs if v is not None}

    def applied(self, member: Member) -> Member:
        return replace(member, **self.fields())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Conversation:
    id: str
    type: ConversationType
    created_by: str
    created_at: datetime
    members: tuple[Member, ...]
    name: str | None = None
    description: str | None = None
    avatar_url: str | None = None
    last_seq: int = 0
    rev: int = 0
    last_activity: datetime | None = None
    # For direct conversations: the two user ids sorted and joined, unique per pair.
    direct_key: str | None = None

    def member(self, user_id: str) -> Member | None:
        for m in self.members:
            if m.user_id == user_id:
                return m
        return None

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(m.user_id for m in self.members)

    @property
    def activity(self) -> datetime:
        return self.last_activity or self.created_at

    def admins(self) -> list[Member]:
        return [m for m in self.members if m.role is Role.ADMIN]

    def with_member(self, member: Member) -> Conversation:
        others = tuple(m for m in self.members if m.user_id != member.user_id)
        return replace(self, members=others + (member,))

    def without_member(self, user_id: str) -> Conversation:
        return replace(self, members=tuple(m for m in self.members if m.user_id != user_id))


@dataclass(frozen=True)
class Attachment:
    url: str
    name: str
    mime_type: str
    size: int


@dataclass(frozen=True)
class NewMessage:
    """A message before the store gives it an id, seq and rev."""

    conversation_id: str
    sender_id: str
    client_id: str
    text: str
    attachments: tuple[Attachment, ...]
    reply_to: str | None
    created_at: datetime
    mentions: tuple[str, ...] = ()
    # Whom to notify of it if still unread at ``notify_at`` (epoch seconds): written to the
    # outbox in the same write as the message, where the store allows.
    notify: tuple[str, ...] = ()
    notify_at: float = 0.0

    def stored(self, *, id: str, seq: int, rev: int) -> Message:
        """The message as a store keeps it, with the id, seq and rev it was given."""
        return Message(
            id=id,
            conversation_id=self.conversation_id,
            seq=seq,
            rev=rev,
            client_id=self.client_id,
            sender_id=self.sender_id,
            text=self.text,
            attachments=self.attachments,
            reply_to=self.reply_to,
            created_at=self.created_at,
            mentions=self.mentions,
        )

    def notifications(self, message: Message) -> list[Notification]:
        """The outbox entries to open (or to join, where one is open for the same user and
        conversation) for ``message``, stored from this."""
        return [
            Notification(
                id=f"{message.id}.{i}",  # unique as the message's id; cheaper than a uuid each
                user_id=user_id,
                conversation_id=message.conversation_id,
                first_seq=message.seq,
                last_seq=message.seq,
                count=1,
                state=OutboxState.OPEN,
                next_at=self.notify_at,
                created_at=message.created_at.timestamp(),
            )
            for i, user_id in enumerate(self.notify)
        ]


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    rev: int
    client_id: str
    sender_id: str
    text: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    # Emoji -> user ids in the order they reacted; emoji in the order first used.
    reactions: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    edited_at: datetime | None = None
    deleted: bool = False
    mentions: tuple[str, ...] = ()  # user ids the text names (sorted)

    def reactions_dict(self) -> dict[str, list[str]]:
        return {emoji: list(users) for emoji, users in self.reactions}

    def with_reaction(self, emoji: str, user_id: str) -> Message:
        found = False
        out: list[tuple[str, tuple[str, ...]]] = []
        for e, users in self.reactions:
            if e == emoji:
                found = True
                if user_id not in users:
                    users = users + (user_id,)
            out.append((e, users))
        if not found:
            out.append((emoji, (user_id,)))
        return replace(self, reactions=tuple(out))

    def without_reaction(self, emoji: str, user_id: str) -> Message:
        out = []
        for e, users in self.reactions:
            if e == emoji:
                users = tuple(u for u in users if u != user_id)
            if users:
                out.append((e, users))
        return replace(self, reactions=tuple(out))

    def counts_as_unread_for(self, user_id: str) -> bool:
        """Unread counts others' messages that still stand."""
        return not self.deleted and self.sender_id != user_id

    def tombstone(self) -> Message:
        """The message as it stays after a delete: identity and place kept, content gone."""
        return replace(self, text="", attachments=(), reactions=(), mentions=(), deleted=True)


@dataclass(frozen=True)
class Receipt:
    user_id: str
    read_seq: int
    delivered_seq: int
