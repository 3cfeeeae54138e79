"""Domain events, published on the event bus after every change.

Each event names its ``recipients``: the user ids that must hear of it, fixed at the moment of
the change (the members then), so that delivery never has to look membership up again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ezchat.domain.access import Revocation
from ezchat.domain.messages import Message
from ezchat.domain.model import Contact, Conversation, User


@dataclass(frozen=True)
class Event:
    recipients: frozenset[str]


@dataclass(frozen=True)
class MessagePosted(Event):
    message: Message


@dataclass(frozen=True)
class MessageChanged(Event):
    """An edit, a delete or a reaction: the message as it now is."""

    message: Message
    change: str  # "edited" | "deleted" | "reaction"


@dataclass(frozen=True)
class ThreadUpdated(Event):
    """A thread's replies changed (one added or deleted): its root with the new summary."""

    root: Message


@dataclass(frozen=True)
class ConversationCreated(Event):
    conversation: Conversation


@dataclass(frozen=True)
class ConversationUpdated(Event):
    conversation: Conversation


@dataclass(frozen=True)
class ConversationDeleted(Event):
    conversation: Conversation


@dataclass(frozen=True)
class MemberAdded(Event):
    conversation_id: str
    user_id: str
    since_seq: int = 0  # the conversation's last seq when the member joined


@dataclass(frozen=True)
class MemberRemoved(Event):
    """Recipients include the removed user, who hears of it as its last event there."""

    conversation_id: str
    user_id: str


@dataclass(frozen=True)
class ReceiptMoved(Event):
    conversation_id: str
    user_id: str
    read_seq: int
    delivered_seq: int


@dataclass(frozen=True)
class UserCreated(Event):
    """A new account (registered, provisioned by an app, or a bot): heard by apps' webhooks,
    no connection (recipients are none)."""

    user: User


@dataclass(frozen=True)
class UserUpdated(Event):
    user: User


@dataclass(frozen=True)
class ContactChanged(Event):
    """One side's view of a relation changed; ``contact`` is None when it was removed."""

    owner_id: str
    user_id: str
    contact: Contact | None


@dataclass(frozen=True)
class UserTyping(Event):
    """Recipients are the other members: never the typist."""

    conversation_id: str
    user_id: str
    is_typing: bool


@dataclass(frozen=True)
class PresenceChanged(Event):
    """Recipients share a conversation or an accepted contact with the user."""

    user: User


@dataclass(frozen=True)
class AccessRevoked(Event):
    """Tokens of a user stopped working: connections opened with them close."""

    revocation: Revocation


def conversation_scope(event: Event) -> str | None:
    """The conversation whose members alone hear this event, when it concerns nothing else that
    a process may hold: a new or changed message, typing, a receipt. Such events can travel on
    the conversation's own channel; any other (membership, conversations made or deleted,
    users, contacts, presence, access) must reach every process that may hold what it changes."""
    if isinstance(event, MessagePosted | MessageChanged):
        return event.message.conversation_id
    if isinstance(event, UserTyping | ReceiptMoved):
        return event.conversation_id
    return None
