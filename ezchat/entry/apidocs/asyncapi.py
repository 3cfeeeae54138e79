"""The AsyncAPI 3.0 document of /ws, served at /api/asyncapi.json: every frame a client may
send, every frame the server sends (hello, acks, pong, errors, events), and the close codes.
The end-to-end tests validate every frame the server sends against ``server_frame_schema``."""

from __future__ import annotations

from typing import Any

from ezchat import __version__
from ezchat.domain.rules import MAX_PAGE
from ezchat.entry.apidocs.schemas import ID, SEQ, TIME, Schema, components, nullable, obj, ref

BASE = "#/components/schemas/"
TEXT = {"type": "string"}
FRAME_ID = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
CLOSE_CODES = {
    1001: "server shutting down",
    1009: "frame too large (MAX_FRAME_BYTES)",
    1011: "the server could not open the connection (store or broker unreachable): retry later",
    4401: "unauthorized: bad, missing or expired token or ticket",
    4408: "heartbeat timeout, or a client too slow to keep up with its events",
    4429: "flooding past the rate limit",
    4503: "connection limit reached",
}


def _ref(name: str) -> Schema:
    return ref(name, base=BASE)


def frame(kind: str, payload: Schema, *, with_id: bool | None = None) -> Schema:
    """A frame: ``{"type": kind, "id"?, "payload": ...}``; ``with_id`` True: the id is there
    (replies), False: never (events), None: optional (client frames)."""
    required: dict[str, Schema] = {"type": {"const": kind}, "payload": payload}
    optional: dict[str, Schema] = {}
    if with_id:
        required["id"] = FRAME_ID
    elif with_id is None:
        optional["id"] = FRAME_ID
    return obj(required, optional)


MESSAGE_ACK = obj({"message": _ref("Message")})
SCHEDULED_ACK = obj({"scheduled": _ref("Scheduled")})
CLIENT: dict[str, tuple[str, Schema]] = {
    "message.send": (
        "Send a message; acked with it once stored (with send_at: kept for then, acked with "
        "{scheduled})",
        obj(
            {"conversation_id": ID, "client_id": TEXT},
            {
                "text": TEXT,
                "attachments": {"type": "array", "items": _ref("AttachmentIn"), "maxItems": 10},
                "reply_to": nullable(ID),
                "forward_of": obj({"conversation_id": ID, "message_id": ID}),
                "send_at": TIME,
                "previews": {"type": "boolean"},
            },
        ),
    ),
    "message.edit": (
        "Edit one's own message",
        obj({"conversation_id": ID, "message_id": ID, "text": TEXT}),
    ),
    "message.delete": ("Delete a message", obj({"conversation_id": ID, "message_id": ID})),
    "reaction.add": ("React", obj({"conversation_id": ID, "message_id": ID, "emoji": TEXT})),
    "reaction.remove": (
        "Take a reaction back",
        obj({"conversation_id": ID, "message_id": ID, "emoji": TEXT}),
    ),
    "typing": ("Typing or stopped", obj({"conversation_id": ID, "is_typing": {"type": "boolean"}})),
    "read": ("Move the read pointer", obj({"conversation_id": ID, "seq": SEQ})),
    "delivered": ("Move the delivered pointer", obj({"conversation_id": ID, "seq": SEQ})),
    "presence": ("Set one's presence", obj({"status": {"enum": ["online", "away"]}})),
    "sync": (
        "Messages changed since the given revs",
        obj(
            {"conversations": {"type": "object", "additionalProperties": SEQ}},
            {"limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
        ),
    ),
    "ping": ("Ping; answered with pong", {"type": "object"}),
}
SYNC_ACK = obj(
    {
        "conversations": {
            "type": "object",
            "additionalProperties": obj(
                {
                    "messages": {"type": "array", "items": _ref("Message")},
                    "rev": SEQ,
                    "has_more": {"type": "boolean"},
                },
                {"error": _ref("ErrorBody")},
            ),
        }
    }
)
EMPTY = {"type": "object", "maxProperties": 0}
SERVER: dict[str, tuple[str, Schema]] = {
    "hello": (
        "The first frame of every connection",
        frame(
            "hello",
            obj(
                {
                    "user": _ref("User"),
                    "session_id": TEXT,
                    "heartbeat_interval": {"type": "number"},
                    "server_time": TIME,
                }
            ),
            with_id=False,
        ),
    ),
    "ack": (
        "The reply to a client frame, with its id: the message (send, edit, delete, reactions), "
        "the scheduled message (a send with send_at), "
        "the sync result, or {} (typing, read, delivered, presence)",
        frame("ack", {"anyOf": [MESSAGE_ACK, SCHEDULED_ACK, SYNC_ACK, EMPTY]}, with_id=None),
    ),
    "pong": ("The reply to ping", frame("pong", obj({"server_time": TIME}), with_id=None)),
    "error": (
        "A refused frame (with its id when it had a valid one), or why the connection closes",
        frame("error", _ref("ErrorBody"), with_id=None),
    ),
    "message.new": ("A new message", frame("message.new", MESSAGE_ACK, with_id=False)),
    "message.updated": (
        "An edit, delete, reaction, pin or unpin, or a link preview added",
        frame("message.updated", MESSAGE_ACK, with_id=False),
    ),
    "thread.updated": (
        "A thread's replies changed: its root's new rev and thread summary (it may come before "
        "the reply's own message.new)",
        frame(
            "thread.updated",
            obj(
                {
                    "conversation_id": ID,
                    "message_id": ID,
                    "rev": SEQ,
                    "thread": _ref("ThreadSummary"),
                }
            ),
            with_id=False,
        ),
    ),
    "typing.event": (
        "Another member typing (expires client-side after 6 s; not sent in groups above "
        "LARGE_GROUP_MEMBERS)",
        frame(
            "typing",
            obj({"conversation_id": ID, "user_id": ID, "is_typing": {"type": "boolean"}}),
            with_id=False,
        ),
    ),
    "receipt": (
        "A member's pointers moved (coalesced; in groups above LARGE_GROUP_MEMBERS only the "
        "reader's own connections get it)",
        frame(
            "receipt",
            obj({"conversation_id": ID, "user_id": ID, "read_seq": SEQ, "delivered_seq": SEQ}),
            with_id=False,
        ),
    ),
    "presence.event": (
        "A related user's presence (a contact, or one sharing a conversation other than a group "
        "above LARGE_GROUP_MEMBERS)",
        frame(
            "presence",
            obj(
                {
                    "user_id": ID,
                    "status": {"enum": ["online", "away", "offline"]},
                    "last_seen": nullable(TIME),
                }
            ),
            with_id=False,
        ),
    ),
    **{
        f"conversation.{kind}": (
            f"A conversation {kind}, as the recipient sees it",
            frame(
                f"conversation.{kind}", obj({"conversation": _ref("Conversation")}), with_id=False
            ),
        )
        for kind in ("created", "updated", "deleted")
    },
    **{
        f"member.{kind}": (
            f"A member {kind}",
            frame(f"member.{kind}", obj({"conversation_id": ID, "user_id": ID}), with_id=False),
        )
        for kind in ("added", "removed")
    },
}


def server_frame_schema() -> Schema:
    """Any frame the server may send, with the schemas it refers to (for validators)."""
    return {
        "components": {"schemas": components(base=BASE)},  # where the frames' $refs point
        "oneOf": [schema for _, schema in SERVER.values()],
    }


def document() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for name, (summary, payload) in CLIENT.items():
        messages[name] = {"name": name, "summary": summary, "payload": frame(name, payload)}
    for name, (summary, schema) in SERVER.items():
        messages[name] = {"name": name, "summary": summary, "payload": schema}
    channel_messages = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "EZChat WebSocket",
            "version": __version__,
            "description": "GET /ws with ?ticket= (from POST /api/auth/ws-ticket), an "
            "Authorization: Bearer header, or ?token=. Every client frame gets exactly one reply "
            "carrying its id (ack, pong or error). Up to MAX_FRAMES_IN_FLIGHT (16) frames of a "
            "connection are handled at once, so replies may come in another order than their "
            "frames: match them by id. Frames naming the same conversation_id take effect in "
            "the order sent; a ping is answered only after every frame before it. Presence and "
            "receipt events are coalesced per user (and conversation) in short windows. Close "
            "codes: " + "; ".join(f"{code} {why}" for code, why in CLOSE_CODES.items()),
        },
        "servers": {"ezchat": {"host": "127.0.0.1:8000", "protocol": "ws", "pathname": "/ws"}},
        "channels": {"ws": {"address": "/ws", "messages": channel_messages}},
        "operations": {
            **{
                f"receive {name}": {
                    "action": "receive",
                    "channel": {"$ref": "#/channels/ws"},
                    "summary": f"A client sends {name}",
                    "messages": [{"$ref": f"#/channels/ws/messages/{name}"}],
                    "reply": {
                        "channel": {"$ref": "#/channels/ws"},
                        "messages": [
                            {
                                "$ref": "#/channels/ws/messages/pong"
                                if name == "ping"
                                else "#/channels/ws/messages/ack"
                            },
                            {"$ref": "#/channels/ws/messages/error"},
                        ],
                    },
                }
                for name in CLIENT
            },
            **{
                f"send {name}": {
                    "action": "send",
                    "channel": {"$ref": "#/channels/ws"},
                    "messages": [{"$ref": f"#/channels/ws/messages/{name}"}],
                }
                for name in SERVER
                if name not in ("ack", "pong")
            },
        },
        "components": {"schemas": components(base=BASE), "messages": messages},
    }
