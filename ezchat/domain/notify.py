"""Who is told of a message they are not looking at: the rules, apart from how they are told.

A member is notified of a message when they did not send it, it is not deleted, their level for
the conversation lets it through (``all``: anything, but a muted conversation only mentions;
``mentions``: only messages mentioning them; ``none``: nothing), and they have not read it by the
time the notification is due (reading on another device counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType, Member, NotifyLevel, User

PREVIEW_CHARS = 200


def level_of(member: Member, conversation_type: ConversationType) -> NotifyLevel:
    """The member's level, or the default: everything in a direct conversation, mentions in a
    group."""
    if member.notify is not None:
        return member.notify
    return NotifyLevel.ALL if conversation_type is ConversationType.DIRECT else NotifyLevel.MENTIONS


def wants(member: Member, conversation_type: ConversationType, message: Message) -> bool:
    """Whether the member is to be told of ``message`` if still unread when due."""
    if message.deleted:
        return False
    return _lets_through(member, conversation_type, message.sender_id, message.mentions)


def recipients(conv: Conversation, sender_id: str, mentions: Iterable[str]) -> tuple[str, ...]:
    """The members to queue a notification for when a message is sent: the ones its rules
    would let through now (they are checked again when it is due)."""
    named = frozenset(mentions)
    return tuple(
        sorted(m.user_id for m in conv.members if _lets_through(m, conv.type, sender_id, named))
    )


def _lets_through(
    member: Member, conversation_type: ConversationType, sender_id: str, mentions: Iterable[str]
) -> bool:
    if sender_id == member.user_id:
        return False
    mentioned = member.user_id in mentions
    level = level_of(member, conversation_type)
    if level is NotifyLevel.NONE:
        return False
    if level is NotifyLevel.MENTIONS:
        return mentioned
    return mentioned or not member.muted


@dataclass(frozen=True)
class Notice:
    """What a user is told: how many messages of a conversation wait, and the latest of them."""

    id: str  # the outbox entry's: the same on every retry, so receivers can drop repeats
    user_id: str
    conversation: Conversation
    count: int
    mentioned: bool  # one of them mentions the user
    message: Message  # the latest
    sender: User | None  # None when the account is gone

    @property
    def preview(self) -> str:
        """The latest message's text, cut at ``PREVIEW_CHARS`` characters (never inside a
        surrogate pair: the text is already valid Unicode)."""
        text = self.message.text
        return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "\u2026"
