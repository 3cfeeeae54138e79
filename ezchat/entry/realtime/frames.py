"""WebSocket frames as encoded bytes: built once per event, shared by every recipient."""

from __future__ import annotations

from typing import Any

from ezchat.domain.events import (
    Event,
    MemberAdded,
    MemberRemoved,
    MessageChanged,
    MessagePosted,
    PresenceChanged,
    ReceiptMoved,
    ThreadUpdated,
    UserTyping,
)
from ezchat.domain.messages import Message
from ezchat.entry import serialize


class RawJson(str):
    """A payload already encoded as JSON text (from memoised parts), put into its frame as it
    is."""


def frame(kind: str, payload: Any, frame_id: Any = None) -> bytes:
    out: dict[str, Any] = {"type": kind}
    if frame_id is not None:
        out["id"] = frame_id
    if isinstance(payload, RawJson):
        return f'{serialize.dumps(out)[:-1]},"payload":{payload}}}'.encode()
    out["payload"] = payload
    return serialize.dumps(out).encode()


def with_message(m: Message, json: serialize.MessageJson) -> RawJson:
    """``{"message": ...}``, the message's JSON memoised in ``json`` (it never changes
    without a new rev)."""
    return RawJson(f'{{"message":{json.text(m)}}}')


def error(code: str, message: str, frame_id: Any = None, **extra: Any) -> bytes:
    return frame("error", {"code": code, "message": message, **extra}, frame_id)


def receipt(e: ReceiptMoved) -> bytes:
    return frame(
        "receipt",
        {
            "conversation_id": e.conversation_id,
            "user_id": e.user_id,
            "read_seq": e.read_seq,
            "delivered_seq": e.delivered_seq,
        },
    )


def for_event(event: Event, json: serialize.MessageJson) -> bytes | None:
    """The frame every recipient of ``event`` gets alike; None for events that are delivered
    otherwise (conversation events carry per-member fields) or not over WebSocket at all."""
    if isinstance(event, MessagePosted):
        return frame("message.new", with_message(event.message, json))
    if isinstance(event, MessageChanged):
        return frame("message.updated", with_message(event.message, json))
    if isinstance(event, ThreadUpdated):
        root = event.root
        return frame(
            "thread.updated",
            {
                "conversation_id": root.conversation_id,
                "message_id": root.id,
                "rev": root.rev,
                "thread": serialize.thread(root.thread or serialize.NO_REPLIES),
            },
        )
    if isinstance(event, UserTyping):
        return frame(
            "typing",
            {
                "conversation_id": event.conversation_id,
                "user_id": event.user_id,
                "is_typing": event.is_typing,
            },
        )
    if isinstance(event, ReceiptMoved):
        return receipt(event)
    if isinstance(event, PresenceChanged):
        u = event.user
        return frame(
            "presence",
            {"user_id": u.id, "status": u.status.value, "last_seen": serialize.iso(u.last_seen)},
        )
    if isinstance(event, MemberAdded | MemberRemoved):
        kind = "member.added" if isinstance(event, MemberAdded) else "member.removed"
        return frame(kind, {"conversation_id": event.conversation_id, "user_id": event.user_id})
    return None
