"""The OpenAPI paths of conversations, their messages, search and Web Push."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import (
    ADMIN,
    CLIENT_ID,
    CONVERSATION,
    GROUP_NAME,
    LIMIT,
    MESSAGE,
    MESSAGE_TEXT,
    PUSH_SUBSCRIPTION,
    TEXT,
    URL,
    op,
)
from ezchat.entry.apidocs.schemas import ID, SEQ, nullable, obj, ref


def paths() -> dict[str, dict[str, Any]]:
    c = "/api/conversations/{conversation_id}"
    m = c + "/messages/{message_id}"
    return {
        "/api/conversations": {
            "get": op(
                "The caller's conversations: pinned first, then latest activity",
                200,
                obj(
                    {
                        "conversations": {"type": "array", "items": CONVERSATION},
                        "next_cursor": nullable(TEXT),
                    }
                ),
                errors=(),
                query={"limit": LIMIT, "cursor": TEXT},
            ),
            "post": op(
                "Open a direct conversation (200 when it exists) or create a group",
                201,
                CONVERSATION,
                body=obj(
                    {"type": {"enum": ["direct", "group"]}},
                    {
                        "user_id": ID,
                        "name": GROUP_NAME,
                        "member_ids": {"type": "array", "items": ID},
                        "description": nullable({"type": "string", "maxLength": 1000}),
                        "avatar_url": nullable(URL),
                    },
                ),
                errors=(403, 404),
                also=200,
            ),
        },
        c: {
            "get": op("A conversation as the caller sees it", 200, CONVERSATION),
            "patch": op(
                "Rename or describe a group, or let its members pin (admins)",
                200,
                CONVERSATION,
                body=obj(
                    {},
                    {
                        "name": TEXT,
                        "description": nullable(TEXT),
                        "avatar_url": nullable(TEXT),
                        "members_can_pin": {"type": "boolean"},
                        "retention_days": nullable(
                            {"type": "integer", "minimum": 1, "maximum": 36500}
                        ),
                    },
                ),
                errors=ADMIN,
            ),
            "delete": op("Delete a group for everyone (admins)", 204, errors=ADMIN),
        },
        c + "/members": {
            "post": op(
                "Add a member (admins)",
                200,
                CONVERSATION,
                body=obj({"user_id": ID}, {"role": {"enum": ["admin", "member"]}}),
                errors=ADMIN,
            )
        },
        c + "/members/{user_id}": {
            "delete": op("Leave, or remove a member (admins)", 204, errors=ADMIN),
            "patch": op(
                "Change a member's role (admins)",
                200,
                CONVERSATION,
                body=obj({"role": {"enum": ["admin", "member"]}}),
                errors=ADMIN,
            ),
        },
        c + "/settings": {
            "put": op(
                "The caller's own settings",
                200,
                CONVERSATION,
                body=obj(
                    {},
                    {
                        "pinned": {"type": "boolean"},
                        "muted": {"type": "boolean"},
                        "notify": {"enum": ["all", "mentions", "none"]},
                    },
                ),
            )
        },
        c + "/messages": {
            "get": op(
                "History, ascending seq",
                200,
                obj(
                    {
                        "messages": {"type": "array", "items": MESSAGE},
                        "has_more": {"type": "boolean"},
                    }
                ),
                query={"before": SEQ, "after": SEQ, "limit": LIMIT},
            ),
            "post": op(
                "Send (200 with the original when client_id was used already); with send_at, "
                "keep it for then: 202 {scheduled}",
                201,
                MESSAGE,
                body=obj(
                    {"client_id": CLIENT_ID},
                    {
                        "text": MESSAGE_TEXT,
                        "attachments": {
                            "type": "array",
                            "items": ref("AttachmentIn"),
                            "maxItems": 10,
                        },
                        "reply_to": nullable(ID),
                        "forward_of": obj({"conversation_id": ID, "message_id": ID}),
                        "send_at": {"type": "string", "format": "date-time"},
                        "previews": {"type": "boolean"},
                    },
                ),
                errors=(403, 404, 409, 429),
                also=200,
                accepted=obj({"scheduled": ref("Scheduled")}),
            ),
        },
        m: {
            "patch": op(
                "Edit one's own message",
                200,
                MESSAGE,
                body=obj({"text": TEXT}),
                errors=(403, 404, 409, 429),
            ),
            "delete": op("Delete a message (sender or group admin)", 204, errors=(403, 404, 409)),
        },
        m + "/history": {
            "get": op(
                "A message's earlier texts, oldest first (none once it is deleted)",
                200,
                obj(
                    {
                        "versions": {
                            "type": "array",
                            "items": obj(
                                {
                                    "text": TEXT,
                                    "edited_at": nullable(
                                        {"type": "string", "format": "date-time"}
                                    ),
                                }
                            ),
                        }
                    }
                ),
            )
        },
        m + "/reactions/{emoji}": {
            "put": op("React", 200, MESSAGE, errors=(403, 404, 409, 429)),
            "delete": op("Take a reaction back", 200, MESSAGE, errors=(403, 404, 409, 429)),
        },
        c + "/read": {
            "post": op("Move the read pointer", 200, obj({"read_seq": SEQ}), body=obj({"seq": SEQ}))
        },
        c + "/receipts": {
            "get": op(
                "Every member's pointers",
                200,
                obj({"receipts": {"type": "array", "items": ref("Receipt")}}),
            )
        },
        "/api/search": {
            "get": op(
                'Messages of the caller\'s conversations with every word and "phrase" of q '
                "(case and diacritics aside; a word also finds longer words it starts), "
                "newest first or by relevance, each with an HTML snippet (escaped text, "
                "matches in <mark>); next_cursor continues (docs/api.md, Search)",
                200,
                obj(
                    {
                        "messages": {
                            "type": "array",
                            "items": {
                                "allOf": [MESSAGE, obj({"snippet": {"type": "string"}})],
                            },
                        },
                        "next_cursor": nullable({"type": "string"}),
                    }
                ),
                query={
                    "q": {"type": "string", "minLength": 1, "maxLength": 20000, "pattern": "\\S"},
                    "conversation_id": ID,
                    "from": ID,
                    "before": {"type": "string", "format": "date-time"},
                    "after": {"type": "string", "format": "date-time"},
                    "order": {"enum": ["recent", "relevance"]},
                    "cursor": {"type": "string", "maxLength": 512},
                    "limit": LIMIT,
                },
            )
        },
        "/api/push/vapid-public-key": {
            "get": op(
                "The server's VAPID public key: applicationServerKey for pushManager.subscribe "
                "(404 when Web Push is off)",
                200,
                obj({"public_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{87}$"}}),
                auth=False,
            )
        },
        "/api/push/subscriptions": {
            "get": op(
                "The caller's Web Push subscriptions, oldest first",
                200,
                obj({"subscriptions": {"type": "array", "items": PUSH_SUBSCRIPTION}}),
                errors=(),
            ),
            "post": op(
                "Subscribe a browser (PushSubscription.toJSON()); an endpoint subscribed "
                "before, by anyone, is replaced; past PUSH_MAX_SUBSCRIPTIONS the caller's oldest "
                "goes (404 when Web Push is off)",
                201,
                PUSH_SUBSCRIPTION,
                body=obj(
                    {
                        "endpoint": {"type": "string", "maxLength": 2048},
                        "keys": obj(
                            {
                                "p256dh": {"type": "string", "pattern": "^[A-Za-z0-9_=-]+$"},
                                "auth": {"type": "string", "pattern": "^[A-Za-z0-9_=-]+$"},
                            }
                        ),
                    },
                    {"expirationTime": nullable({"type": "number"})},
                ),
            ),
            "delete": op(
                "Unsubscribe one of the caller's browsers, named by ?endpoint= (or by "
                '{"endpoint"} in a JSON body)',
                204,
                query={"endpoint": {"type": "string", "minLength": 1, "maxLength": 2048}},
            ),
        },
    }
