"""Entities of the chat domain. Frozen: a change is a new value (``dataclasses.replace``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property


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
    # The id an app's backend knows this user by (provisioned through /api/server), or None
    # for someone who registered themselves.
    external_id: str | None = None
    bot: bool = False  # made by `python -m ezchat bots create`: never counts as online
    admin: bool = False  # a server admin (`python -m ezchat users promote`): /api/admin/...
    deleted_at: float | None = None  # the account was deleted then (epoch s): never again

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
    members_can_pin: bool = False  # a group's: every member may pin, not only its admins
    pin_count: int = 0  # its pinned messages, kept by the services (PinService)
    # A group's own retention: its messages older than this many days are swept (None: the
    # server's RETENTION_DAYS, if any).
    retention_days: int | None = None

    # Members are looked up by user on every send, receipt and fan-out: by an index built once
    # per conversation value (a frozen value, so it never goes stale), not by a scan of what
    # may be thousands of members.
    @cached_property
    def _positions(self) -> dict[str, int]:
        return {m.user_id: i for i, m in enumerate(self.members)}

    def member(self, user_id: str) -> Member | None:
        i = self._positions.get(user_id)
        return None if i is None else self.members[i]

    @cached_property
    def member_ids(self) -> frozenset[str]:
        return frozenset(self._positions)

    def is_large(self, limit: int) -> bool:
        """A group of more than ``limit`` members (``Limits.large_group_members``): one
        whose members are not told of each other's presence, receipts and typing, as that
        would cost every event once per member."""
        return self.type is ConversationType.GROUP and len(self.members) > limit

    @property
    def activity(self) -> datetime:
        return self.last_activity or self.created_at

    def admins(self) -> list[Member]:
        return [m for m in self.members if m.role is Role.ADMIN]

    def with_member(self, member: Member) -> Conversation:
        """With ``member`` added at the end, or put in place of the user's old entry (which
        keeps the index: a pointer moving in a large group copies no dict)."""
        i = self._positions.get(member.user_id)
        if i is None:
            return replace(self, members=(*self.members, member))
        return self._same_members(self.members[:i] + (member,) + self.members[i + 1 :])

    def with_pointers(self, updates: Iterable[PointerUpdate]) -> Conversation:
        """With these members' pointers moved forward (updates of non-members are skipped)."""
        members: list[Member] | None = None
        for u in updates:
            i = self._positions.get(u.user_id)
            if i is None:
                continue
            m = self.members[i]
            if u.read_seq > m.read_seq or u.delivered_seq > m.delivered_seq:
                if members is None:
                    members = list(self.members)
                members[i] = m.advanced(u)
        return self if members is None else self._same_members(tuple(members))

    def _same_members(self, members: tuple[Member, ...]) -> Conversation:
        """A copy with ``members``: the same users in the same places, so the index holds."""
        changed = replace(self, members=members)
        changed.__dict__["_positions"] = self._positions
        if "member_ids" in self.__dict__:
            changed.__dict__["member_ids"] = self.member_ids
        return changed

    def without_member(self, user_id: str) -> Conversation:
        return replace(self, members=tuple(m for m in self.members if m.user_id != user_id))
