"""What a client asks of the message service, as one value each: parsed once at the edge
(REST body or WebSocket payload alike) and handed to the service whole."""

from __future__ import annotations

from dataclasses import dataclass

from ezchat.domain.messages import Attachment


@dataclass(frozen=True)
class SendMessage:
    conversation_id: str
    client_id: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    forward_of: tuple[str, str] | None = None  # (conversation id, message id) to copy
    previews: bool = True  # False: the sender wants no preview of its link


@dataclass(frozen=True)
class EditMessage:
    conversation_id: str
    message_id: str
    text: str


@dataclass(frozen=True)
class DeleteMessage:
    conversation_id: str
    message_id: str


@dataclass(frozen=True)
class React:
    """Add (``add``) or take back the caller's reaction ``emoji``."""

    conversation_id: str
    message_id: str
    emoji: str
    add: bool
