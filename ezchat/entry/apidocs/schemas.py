"""JSON Schemas (2020-12) of the objects the API sends and takes, shared by the OpenAPI
document of the REST API and the AsyncAPI document of /ws. They describe what
``ezchat.entry.serialize`` writes; the tests hold every answer and frame to them."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

ERROR_CODES = [
    "invalid_request",
    "unauthorized",
    "forbidden",
    "rejected",
    "not_found",
    "conflict",
    "too_large",
    "quota_exceeded",
    "rate_limited",
    "unavailable",
    "internal",
]


def ref(name: str, *, base: str = "#/components/schemas/") -> Schema:
    return {"$ref": base + name}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    props = {**required, **(optional or {})}
    return {"type": "object", "required": list(required), "properties": props}


ID = {"type": "string", "minLength": 1}
TIME = {"type": "string", "format": "date-time"}
SEQ = {"type": "integer", "minimum": 0}


USER: dict[str, Schema] = {
    "id": ID,
    "username": {"type": "string"},
    "display_name": {"type": "string"},
    "avatar_url": nullable({"type": "string"}),
    "status": {"enum": ["online", "away", "offline"]},
    "last_seen": nullable(TIME),
    "created_at": TIME,
    "external_id": nullable({"type": "string"}),
    "bot": {"type": "boolean"},
}
ROLE = {"enum": ["admin", "user"]}


def components(base: str = "#/components/schemas/") -> dict[str, Schema]:
    """Every object schema by name; ``base`` is where the document keeps them."""

    def r(name: str) -> Schema:
        return ref(name, base=base)

    return {
        "User": obj(
            USER,
            # The caller's own User (login, register, /api/users/me, hello) carries its role.
            {"role": ROLE},
        ),
        "AdminUser": obj(
            {**USER, "role": ROLE, "disabled": {"type": "boolean"}, "deleted": {"type": "boolean"}}
        ),
        "Export": obj(
            {
                "id": ID,
                "status": {"enum": ["pending", "ready", "failed"]},
                "created_at": TIME,
                "expires_at": TIME,
                "size": nullable({"type": "integer", "minimum": 0}),
                "error": nullable({"type": "string"}),
                "url": {"type": "string"},
            }
        ),
        "Member": obj({"user_id": ID, "role": {"enum": ["admin", "member"]}, "joined_at": TIME}),
        # A link the client gave (an http(s) URL), or an upload (file_id; url its signed path).
        "Attachment": obj(
            {
                "url": {"type": "string", "format": "uri-reference"},
                "name": {"type": "string"},
                "mime_type": {"type": "string"},
                "size": {"type": "integer", "minimum": 0},
            },
            {
                "file_id": ID,
                "width": {"type": "integer", "minimum": 1},
                "height": {"type": "integer", "minimum": 1},
                "thumbnail_url": {"type": "string", "format": "uri-reference"},
            },
        ),
        # What a send takes: a link, or an upload of the sender's own by its id.
        "AttachmentIn": {
            "oneOf": [
                obj(
                    {
                        "url": {"type": "string", "pattern": "^https?://[^\\s]+$"},
                        "name": {"type": "string", "minLength": 1, "maxLength": 255},
                        "mime_type": {"type": "string"},
                        "size": {"type": "integer", "minimum": 0},
                    }
                ),
                obj({"file_id": ID}),
            ]
        },
        "File": obj(
            {
                "id": ID,
                "name": {"type": "string"},
                "mime_type": {"type": "string"},
                "size": {"type": "integer", "minimum": 1},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "created_at": TIME,
                "url": {"type": "string", "format": "uri-reference"},
            },
            {
                "width": {"type": "integer", "minimum": 1},
                "height": {"type": "integer", "minimum": 1},
                "thumbnail_url": {"type": "string", "format": "uri-reference"},
            },
        ),
        "Message": obj(
            {
                "id": ID,
                "conversation_id": ID,
                "seq": SEQ,
                "rev": SEQ,
                "client_id": {"type": "string"},
                "sender_id": ID,
                "text": {"type": "string"},
                "attachments": {"type": "array", "items": r("Attachment")},
                "reply_to": nullable(ID),
                "reactions": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": ID},
                },
                "created_at": TIME,
                "edited_at": nullable(TIME),
                "deleted": {"type": "boolean"},
                "mentions": {"type": "array", "items": ID},
                "forwarded_from": nullable(
                    obj({"conversation_id": ID, "message_id": ID, "sender_id": ID})
                ),
                "thread_root": nullable(ID),
                "thread": nullable(r("ThreadSummary")),
                "pinned": {"type": "boolean"},
                "pinned_at": nullable(TIME),
                "pinned_by": nullable(ID),
                "previews": {"type": "array", "items": r("LinkPreview"), "maxItems": 1},
            }
        ),
        "LinkPreview": obj(
            {
                "url": {"type": "string"},
                "title": nullable({"type": "string", "maxLength": 300}),
                "description": nullable({"type": "string", "maxLength": 1000}),
                "image_url": nullable({"type": "string"}),
                "site_name": nullable({"type": "string", "maxLength": 100}),
            }
        ),
        "Scheduled": obj(
            {
                "id": ID,
                "conversation_id": ID,
                "client_id": {"type": "string"},
                "text": {"type": "string"},
                "attachments": {
                    "type": "array",
                    "items": {"anyOf": [obj({"file_id": ID}), r("Attachment")]},
                },
                "reply_to": nullable(ID),
                "send_at": TIME,
                "created_at": TIME,
                "state": {"enum": ["pending", "sending", "failed"]},
                "error": nullable({"type": "string"}),
            }
        ),
        "ThreadSummary": obj(
            {
                "reply_count": SEQ,
                "last_reply_at": nullable(TIME),
                "participants": {"type": "array", "items": ID, "maxItems": 10},
            }
        ),
        "Conversation": obj(
            {
                "id": ID,
                "type": {"enum": ["direct", "group"]},
                "name": nullable({"type": "string"}),
                "description": nullable({"type": "string"}),
                "avatar_url": nullable({"type": "string"}),
                "created_by": ID,
                "created_at": TIME,
                "members": {"type": "array", "items": r("Member")},
                "last_message": nullable(r("Message")),
                "last_seq": SEQ,
                "rev": SEQ,
                "members_can_pin": {"type": "boolean"},
                "pin_count": {"type": "integer", "minimum": 0, "maximum": 50},
                "retention_days": nullable({"type": "integer", "minimum": 1, "maximum": 36500}),
                "unread_count": SEQ,
                "mention_count": SEQ,
                "read_seq": SEQ,
                "pinned": {"type": "boolean"},
                "muted": {"type": "boolean"},
                "notify": {"enum": ["all", "mentions", "none"]},
            }
        ),
        "Contact": obj(
            {
                "user": r("User"),
                "state": {"enum": ["accepted", "incoming", "outgoing", "blocked"]},
                "since": TIME,
            }
        ),
        "Receipt": obj({"user_id": ID, "read_seq": SEQ, "delivered_seq": SEQ}),
        "ErrorBody": obj(
            {"code": {"enum": ERROR_CODES}, "message": {"type": "string"}},
            {"field": {"type": "string"}, "retry_after": {"type": "number", "minimum": 0}},
        ),
        "Error": obj({"error": r("ErrorBody")}),
    }
