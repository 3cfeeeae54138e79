"""Commands from client JSON: one parser per command, used by the REST handlers (where ids come
from the path) and the WebSocket frames (where they come in the payload)."""

from __future__ import annotations

from ezchat.domain.commands import EditMessage, SendMessage
from ezchat.entry.parse import Fields


def send_message(f: Fields, conversation_id: str) -> SendMessage:
    return SendMessage(
        conversation_id=conversation_id,
        client_id=f.text("client_id"),
        text=f.optional_text("text") or "",
        attachments=tuple(f.attachments()),
        reply_to=f.optional_text("reply_to"),
        forward_of=forward_of(f),
        previews=f.optional_bool("previews") is not False,
    )


def forward_of(f: Fields) -> tuple[str, str] | None:
    source = f.object("forward_of", required=False)
    if source is None:
        return None
    return source.text("conversation_id"), source.text("message_id")


def edit_message(f: Fields, conversation_id: str, message_id: str) -> EditMessage:
    return EditMessage(conversation_id, message_id, f.text("text"))
