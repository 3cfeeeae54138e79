"""Who is told of a message they are not looking at: the rules, apart from how they are told.

A member is notified of a message when they did not send it, it is not deleted, their level for
the conversation lets it through (``all``: anything, but a muted conversation only mentions;
``mentions``: only messages mentioning them; ``none``: nothing), and they have not read it by the
time the notification is due (reading on another device counts)."""

from __future__ import annotations

from ezchat.domain.model import ConversationType, Member, Message, NotifyLevel


def level_of(member: Member, conversation_type: ConversationType) -> NotifyLevel:
    """The member's level, or the default: everything in a direct conversation, mentions in a
    group."""
    if member.notify is not None:
        return member.notify
    return NotifyLevel.ALL if conversation_type is ConversationType.DIRECT else NotifyLevel.MENTIONS


def wants(member: Member, conversation_type: ConversationType, message: Message) -> bool:
    """Whether the member is to be told of ``message`` if still unread when due."""
    if message.sender_id == member.user_id or message.deleted:
        return False
    mentioned = member.user_id in message.mentions
    level = level_of(member, conversation_type)
    if level is NotifyLevel.NONE:
        return False
    if level is NotifyLevel.MENTIONS:
        return mentioned
    return mentioned or not member.muted


def still_unread(member: Member, message: Message) -> bool:
    return member.read_seq < message.seq
