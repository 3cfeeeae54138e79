"""Storage ports. Every method may raise ``StorageUnavailable`` when the backend is down, and
no driver exception ever leaves an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ezchat.domain.access import AccessChange, Credentials, Revocation
from ezchat.domain.errors import EzChatError
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
from ezchat.ports.apps import ServerKeyStore
from ezchat.ports.audit import AuditStore
from ezchat.ports.exports import ExportStore
from ezchat.ports.files import FileRecordStore
from ezchat.ports.invites import InviteStore
from ezchat.ports.pins import PinStore
from ezchat.ports.reports import ReportStore
from ezchat.ports.scheduled import ScheduledStore
from ezchat.ports.sweeps import SweepStore
from ezchat.ports.threads import ThreadStore
from ezchat.ports.webhooks import IncomingHookStore, WebhookStore


class UserStore(Protocol):
    async def add(self, user: User, credentials: Credentials) -> None:
        """Store a new user. Raises ``Conflict`` when the username is taken."""

    async def get(self, user_id: str) -> User | None: ...

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        """The users that exist among ``user_ids``, by id."""

    async def get_by_username(self, username: str) -> User | None:
        """Lookup by the lower-case username."""

    async def get_by_external_id(self, external_id: str) -> User | None:
        """Lookup by the id an app knows the user by. ``add`` raises ``Conflict`` for a user
        whose external id another user has."""

    async def credentials(self, user_id: str) -> Credentials | None: ...

    async def release_username(self, user_id: str, placeholder: str) -> bool:
        """A deleted account gives its username up: it takes ``placeholder`` (unique, never a
        valid username). False when the user is not a deleted account."""

    async def update(self, user: User) -> None:
        """Replace the profile fields (display_name, avatar_url) of an existing user; the
        presence fields are left as they are."""

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        """Set only status and last_seen; the user as stored, or None when there is none."""

    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        """``set_presence`` for each change, in order, as one write (a later change of the
        same user wins); the users as stored after, by id (those that exist)."""

    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        """Change the password hash, the disabled flag or the sessions cut-off (only the fields
        ``change`` names); the user as stored, or None when there is none."""

    async def clear_presence(self) -> None:
        """Every user who is not offline becomes offline (last_seen kept): at start, no one
        is connected to this server yet."""

    async def search(self, prefix: str, limit: int, *, after: str = "") -> list[User]:
        """Users whose username or display name starts with ``prefix``, compared case-folded and
        literally (no pattern characters), ordered by username; with ``after``, only those
        whose username comes after it (the next page)."""


class RevocationStore(Protocol):
    """The revocation feed: every process (and the admin command) appends to it, and every
    server reads what is new, so revoking access takes effect everywhere without a broker."""

    async def add(self, revocation: Revocation) -> None: ...

    async def after(self, position: int, limit: int = 1000) -> tuple[list[Revocation], int]:
        """Revocations added after ``position`` (0: from the start), oldest first, and the
        position to read from next."""

    async def position(self) -> int:
        """Where the feed ends now."""

    async def active(self, now: float) -> list[Revocation]:
        """Revocations of single tokens that have not expired yet."""


class ContactStore(Protocol):
    """Relations are written a pair at a time, both sides at once, so that no two requests
    racing on one pair (a block and a contact request, two requests crossing) can interleave."""

    async def get(self, owner_id: str, user_id: str) -> Contact | None: ...

    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        """Both sides of the relation of ``owner_id`` and ``user_id``, read together."""

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        """Write both sides (None removes a side) only if they are still ``expected``, as one
        atomic step. False, writing nothing, when either side changed since it was read."""

    async def list(self, owner_id: str) -> list[Contact]:
        """Every contact of ``owner_id``, oldest first."""


class ConversationStore(Protocol):
    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation. Raises ``Conflict`` when a direct conversation with the
        same ``direct_key`` exists."""

    async def get(self, conversation_id: str) -> Conversation | None: ...

    async def get_direct(self, direct_key: str) -> Conversation | None: ...

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        """Write the conversation's ``pin_count`` alone; the conversation after. ``NotFound``
        when there is none."""

    async def update_info(self, conversation: Conversation) -> Conversation:
        """Replace name, description, avatar_url and members_can_pin; returns the stored
        conversation."""

    async def delete(self, conversation_id: str) -> None:
        """Remove the conversation, its members and its messages."""

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        """Raises ``Conflict`` when the user is a member already, ``NotFound`` when the
        conversation is gone."""

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation: ...

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        """Set the fields ``change`` names of an existing member, and only those; returns the
        conversation as stored after the write. ``NotFound`` when the user is no member."""

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        """Move the member's pointers forward only (each becomes the max of old and new);
        returns the member as stored. ``NotFound`` when the user is no member."""

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        """``advance_pointers`` for many members in one bulk write; members that are gone are
        skipped."""

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        """Every conversation ``user_id`` is a member of, in no set order."""

    async def ids_for_user(self, user_id: str) -> list[str]:
        """The ids of those conversations, none of them read (a group of thousands of members
        is read once for all of them, through a cache, not once per member)."""


class MessageStore(Protocol):
    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        """``on_queued``: for a caller with several sends in flight that must keep their order
        (a WebSocket connection handling its frames concurrently); a store that fixes the
        message's place among later adds before it is durable (group commit, on queueing it)
        calls it then; others leave the caller to wait for ``add`` to return.

        Store a message, giving it an id and the conversation's next seq and rev, and move
        the conversation's last_seq, rev and last_activity. Idempotent on
        (sender_id, client_id): when that pair exists, returns (the original, False) and
        stores nothing."""

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        """``add`` for several messages written together (one transaction or bulk write where
        the backend has one). Each item succeeds or fails alone: its entry is what ``add``
        would return, or the error it would raise. A failure of the whole write raises."""

    async def get(self, conversation_id: str, message_id: str) -> Message | None: ...

    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        """Store a changed message under the conversation's next rev, in the same write
        keeping ``earlier`` (the text it replaces) after the message's earlier versions; a
        deleted message keeps none. Raises ``StaleWrite`` when the stored message's rev is not
        ``expected_rev``."""

    async def history(self, conversation_id: str, message_id: str) -> list[Version]:
        """The message's earlier texts, oldest first ([] for an unknown message)."""

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Messages in ascending seq and whether more exist in the paging direction: with no
        bound the newest ``limit``; ``before`` the newest below it; ``after`` the oldest above
        it; both: the oldest between them."""

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        """Messages whose rev is above ``rev``, ascending rev, and whether more exist."""

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        """The message with the highest seq of each conversation that has one."""

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        """Non-deleted messages above ``after_seq`` sent by others than ``user_id``."""

    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        """Of those, the ones that mention ``user_id``."""

    async def search(
        self, conversation_ids: list[str], query: SearchQuery, limit: int
    ) -> tuple[list[Message], str | None]:
        """Non-deleted messages of those conversations that have every term of ``query``
        (domain/search.py says what a term finds), passing its filters, in its order, after
        ``query.position``; and the position to go on from, or None when there is no more."""

    async def conversations_with_file(self, file_id: str) -> list[str]:
        """The conversations in which a message that stands (not deleted) carries the
        uploaded file, sorted."""


class OutboxStore(Protocol):
    """The notification outbox. Entries are written by ``MessageStore.add``/``add_many`` (from
    ``NewMessage.notify``), in the message's own transaction where the backend has one. Each
    later step is taken only by the holder of the entry's current lease (``lease_token``), and
    returns False, changing nothing, when the lease was lost (it ran out and someone else took
    the entry)."""

    async def claim(self, *, now: float, lease_s: float, limit: int) -> list[Notification]:
        """Up to ``limit`` entries due by ``now`` (not dead, lease free or run out), earliest
        first, each now leased to the caller until ``now + lease_s`` under a new token and no
        longer open to more messages."""

    async def finish(self, entry: Notification) -> bool:
        """Delivered (or nothing left to tell): the entry is removed."""

    async def retry(
        self, entry: Notification, *, next_at: float, error: str, done: tuple[str, ...]
    ) -> bool:
        """Not delivered everywhere yet: attempts + 1, due again at ``next_at``, lease let go."""

    async def bury(self, entry: Notification, *, error: str, done: tuple[str, ...]) -> bool:
        """Given up: the entry stays, dead, with ``error``."""

    async def counts(self) -> dict[str, int]:
        """How many entries are in each state (``open``, ``sending``, ``dead``)."""

    async def dead(self, limit: int) -> list[Notification]:
        """Dead entries, oldest first."""


class PushSubscriptionStore(Protocol):
    async def put(self, subscription: PushSubscription, *, keep: int) -> None:
        """Store the subscription, replacing any with the same endpoint (whoever's it was: a
        browser has one user at a time); then only the user's ``keep`` newest stay."""

    async def remove(self, user_id: str, endpoint: str) -> bool:
        """Remove the user's subscription with that endpoint; False when there was none."""

    async def remove_endpoint(self, endpoint: str) -> None:
        """The push service says the endpoint is gone: remove it, whoever's it was."""

    async def for_user(self, user_id: str) -> list[PushSubscription]:
        """The user's subscriptions, oldest first."""


@dataclass
class Stores:
    """The stores of one backend, started together and closed together."""

    users: UserStore
    contacts: ContactStore
    conversations: ConversationStore
    messages: MessageStore
    revocations: RevocationStore
    outbox: OutboxStore
    push: PushSubscriptionStore
    files: FileRecordStore
    keys: ServerKeyStore
    webhooks: WebhookStore
    incoming_hooks: IncomingHookStore
    threads: ThreadStore
    pins: PinStore
    scheduled: ScheduledStore
    invites: InviteStore
    audit: AuditStore
    reports: ReportStore
    sweeps: SweepStore
    exports: ExportStore
    start: Callable[[], Awaitable[None]]  # connect, create or upgrade schema/indexes (idempotent)
    ping: Callable[[], Awaitable[None]]  # raises StorageUnavailable when the backend is down
    aclose: Callable[[], Awaitable[None]]
