"""What a send carries: its own text and files, checked; or, for a forward, a copy of a message
the sender can read."""

from __future__ import annotations

from ezchat.domain import rules
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound
from ezchat.domain.messages import Attachment, Forward
from ezchat.ports.storage import MessageStore
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
