"""What a send carries: its own text and files, checked, or for a forward a copy of a message
the sender can read; and whom its text mentions."""

from __future__ import annotations

from ezchat.domain import rules
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound
from ezchat.domain.mentions import find_mentions
from ezchat.domain.messages import Attachment, Forward
from ezchat.domain.model import Conversation, ConversationType, Presence, Role
from ezchat.ports.storage import MessageStore, UserStore
from ezchat.services.conversations import ConversationService
from ezchat.services.files import FileService


async def outgoing(
    caller: str,
    c: SendMessage,
    *,
    limits: rules.Limits,
    files: FileService | None,
    messages: MessageStore,
    conversations: ConversationService,
) -> tuple[str, tuple[Attachment, ...], Forward | None]:
    """(text, attachments, forwarded_from) of the send ``c`` by ``caller``."""
    if c.forward_of is not None:
        if c.text or c.attachments:
            raise InvalidRequest(
                "a forward copies its message: give no text or attachments", field="forward_of"
            )
        source_conv, source_id = c.forward_of
        await conversations.require_member(caller, source_conv)  # 404 for others alike
        source = await messages.get(source_conv, source_id)
        if source is None:
            raise NotFound("the message to forward was not found")
        if source.deleted:
            raise Conflict("a deleted message cannot be forwarded")
        body = rules.message_text(
            source.text, limits=limits, has_attachments=bool(source.attachments)
        )
        return body, source.attachments, Forward(source_conv, source.id, source.sender_id)
    attached = rules.attachments(list(c.attachments or ()))
    if any(a.file_id for a in attached):
        if files is None:
            raise InvalidRequest("this server takes no uploads", field="attachments")
        attached = await files.attach(caller, attached)
    body = rules.message_text(c.text, limits=limits, has_attachments=bool(attached))
    return body, attached, None


async def mentioned(
    users: UserStore | None, conv: Conversation, caller: str, text: str
) -> tuple[str, ...]:
    """The members ``text`` mentions (the sender never). ``@all`` (every member) and
    ``@here`` (every member online or away) count only from a group's admins. Without
    ``users``, no one."""
    if "@" not in text or users is None:
        return ()
    found_users = await users.get_many([m.user_id for m in conv.members])
    found = find_mentions(text, {u.username: u.id for u in found_users.values()})
    ids = set(found.user_ids)
    me = conv.member(caller)
    if conv.type is ConversationType.GROUP and me is not None and me.role is Role.ADMIN:
        if found.everyone:
            ids |= conv.member_ids
        elif found.present:
            ids |= {u.id for u in found_users.values() if u.status is not Presence.OFFLINE}
    ids.discard(caller)
    return tuple(sorted(ids))
