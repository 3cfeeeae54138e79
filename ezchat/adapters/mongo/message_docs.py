"""MongoDB message documents: how a message is stored, read back, and checked storable."""

from __future__ import annotations

from typing import Any

import bson

from ezchat.adapters.codec import (
    attachments_out,
    forward_out,
    message_in,
    previews_out,
    reactions_out,
    thread_out,
    time_out,
)
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message, NewMessage


def message_doc(m: Message) -> dict[str, Any]:
    return {
        "_id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "rev": m.rev,
        "client_id": m.client_id,
        "sender_id": m.sender_id,
        "text": m.text,
        "text_folded": m.text.casefold(),
        "attachments": attachments_out(m.attachments),
        "reply_to": m.reply_to,
        "reactions": reactions_out(m.reactions),
        "created_at": time_out(m.created_at),
        "edited_at": time_out(m.edited_at),
        "deleted": m.deleted,
        "mentions": list(m.mentions),
        "forwarded_from": forward_out(m.forwarded_from),
        "thread_root": m.thread_root,
        "thread": thread_out(m.thread),
        "pinned_at": time_out(m.pinned_at),
        "pinned_by": m.pinned_by,
        "previews": previews_out(m.previews),
    }


def message_from(doc: dict[str, Any]) -> Message:
    return message_in(doc, doc["_id"])


def unstorable(new: NewMessage) -> InvalidRequest | None:
    """Why BSON cannot hold this message (a lone surrogate, a value out of range), or None.
    Checked per item before a batch is written: one such item would fail the whole insert."""
    try:
        bson.encode(message_doc(new.stored(id=new_id(), seq=1, rev=1)))
    except Exception as exc:  # InvalidDocument, InvalidStringData, OverflowError, ...
        return InvalidRequest(f"message refused by the store: {type(exc).__name__}")
    return None
