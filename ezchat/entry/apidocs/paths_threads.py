"""The OpenAPI paths of threads, pins and scheduled messages."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import LIMIT, MESSAGE, TEXT, op
from ezchat.entry.apidocs.schemas import ID, SEQ, nullable, obj, ref

SCHEDULED = ref("Scheduled")

THREAD = obj(
    {
        "conversation_id": ID,
        "root": MESSAGE,
        "following": {"type": "boolean"},
        "read_seq": SEQ,
        "unread_count": SEQ,
    }
)


def paths() -> dict[str, dict[str, Any]]:
    m = "/api/conversations/{conversation_id}/messages/{message_id}"
    return {
        m + "/thread": {
            "get": op(
                "The thread the message is in (its own, for a root): the root first, then the "
                "replies, ascending seq; paged like the history",
                200,
                obj(
                    {
                        "messages": {"type": "array", "items": MESSAGE},
                        "has_more": {"type": "boolean"},
                    }
                ),
                query={"before": SEQ, "after": SEQ, "limit": LIMIT},
            )
        },
        m + "/follow": {
            "put": op("Follow the thread (what it holds now counts as read)", 200, THREAD),
            "delete": op("Stop following the thread (replying follows it again)", 200, THREAD),
        },
        m + "/thread/read": {
            "post": op(
                "The caller has read the thread up to seq (never moves back)",
                200,
                THREAD,
                body=obj({"seq": SEQ}),
            )
        },
        "/api/conversations/{conversation_id}/pins": {
            "get": op(
                "The pinned messages (at most 50), the latest pinned first (members)",
                200,
                obj({"messages": {"type": "array", "items": MESSAGE}}),
            )
        },
        "/api/conversations/{conversation_id}/pins/{message_id}": {
            "put": op(
                "Pin a message: any member of a direct conversation; a group's admins, or every "
                "member when members_can_pin (409 past 50 pins, or for a deleted message)",
                200,
                MESSAGE,
                errors=(403, 404, 409),
            ),
            "delete": op("Unpin a message (who may pin)", 200, MESSAGE, errors=(403, 404, 409)),
        },
        "/api/scheduled": {
            "get": op(
                "The caller's scheduled messages, by send_at",
                200,
                obj({"scheduled": {"type": "array", "items": SCHEDULED}}),
                errors=(),
            )
        },
        "/api/scheduled/{scheduled_id}": {
            "patch": op(
                "Change the text or the time of a scheduled message (a failed one waits again); "
                "409 while it is being sent",
                200,
                obj({"scheduled": SCHEDULED}),
                body=obj({}, {"text": TEXT, "send_at": {"type": "string", "format": "date-time"}}),
                errors=(404, 409),
            ),
            "delete": op("Cancel a scheduled message", 204, errors=(404, 409)),
        },
        "/api/threads": {
            "get": op(
                "The threads the caller follows in their conversations, latest reply first, "
                "with their unread replies",
                200,
                obj(
                    {
                        "threads": {"type": "array", "items": THREAD},
                        "next_cursor": nullable(TEXT),
                    }
                ),
                errors=(),
                query={"limit": LIMIT, "cursor": TEXT},
            )
        },
    }
