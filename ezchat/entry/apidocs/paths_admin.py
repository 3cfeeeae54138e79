"""The OpenAPI paths of /api/admin: server admins only (403 for everyone else)."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import DISPLAY_NAME, LIMIT, PASSWORD, TEXT, USERNAME, op
from ezchat.entry.apidocs.schemas import ID, TIME, nullable, obj, ref

ADMIN_USER = ref("AdminUser")
REPORT = obj(
    {
        "id": ID,
        "conversation_id": ID,
        "message_id": ID,
        "reporter_id": ID,
        "sender_id": ID,
        "text": TEXT,
        "reason": TEXT,
        "category": nullable(TEXT),
        "created_at": TIME,
        "status": {"enum": ["open", "resolved"]},
        "resolved_by": nullable(ID),
        "resolved_at": nullable(TIME),
        "action": nullable({"enum": ["dismiss", "delete_message", "disable_user"]}),
    }
)
AUDIT_ENTRY = obj(
    {
        "id": ID,
        "at": TIME,
        "actor": TEXT,
        "action": TEXT,
        "target": nullable(TEXT),
        "request_id": nullable(TEXT),
        "detail": nullable(TEXT),
    }
)
INVITE = obj(
    {
        "id": ID,
        "uses": {"type": "integer"},
        "left": {"type": "integer"},
        "expires_at": TIME,
        "created_by": ID,
        "created_at": TIME,
    }
)


def paths() -> dict[str, dict[str, Any]]:
    u = "/api/admin/users/{user_id}"
    return {
        "/api/admin/users": {
            "get": op(
                "Every account (username or display name starting with q), by username",
                200,
                obj(
                    {
                        "users": {"type": "array", "items": ADMIN_USER},
                        "next_cursor": nullable(TEXT),
                    }
                ),
                errors=(403,),
                query={"q": TEXT, "cursor": TEXT, "limit": LIMIT},
            ),
            "post": op(
                "Make an account (whatever REGISTRATION says)",
                201,
                ADMIN_USER,
                body=obj(
                    {"username": USERNAME, "password": PASSWORD}, {"display_name": DISPLAY_NAME}
                ),  # fmt: skip
                errors=(403, 409),
            ),
        },
        "/api/admin/invites": {
            "get": op(
                "Every invite, newest first (their codes are not kept)",
                200,
                obj({"invites": {"type": "array", "items": INVITE}}),
                errors=(403,),
            ),
            "post": op(
                "A new invite: its code is shown this once, with the page's URL that carries it",
                201,
                obj({"code": TEXT, "url": TEXT, "invite": INVITE}),
                body=obj(
                    {},
                    {
                        "uses": {"type": "integer", "minimum": 1, "maximum": 1000},
                        "expires_in": {"type": "integer", "minimum": 60, "maximum": 31536000},
                    },
                ),
                errors=(403,),
            ),
        },
        "/api/admin/audit": {
            "get": op(
                "The audit log, newest first (filtered by actor and action)",
                200,
                obj(
                    {
                        "entries": {"type": "array", "items": AUDIT_ENTRY},
                        "next_cursor": nullable(TEXT),
                    }
                ),
                errors=(403,),
                query={"actor": TEXT, "action": TEXT, "cursor": TEXT, "limit": LIMIT},
            )
        },
        "/api/admin/reports": {
            "get": op(
                "Reports of messages, newest first, with the text as reported",
                200,
                obj(
                    {
                        "reports": {"type": "array", "items": REPORT},
                        "next_cursor": nullable(TEXT),
                    }
                ),
                errors=(403,),
                query={"status": {"enum": ["open", "resolved"]}, "cursor": TEXT, "limit": LIMIT},
            )
        },
        "/api/admin/reports/{report_id}/resolve": {
            "post": op(
                "Resolve a report: dismiss it, delete the message, or disable its sender "
                "(409 when resolved already)",
                200,
                obj({"report": REPORT}),
                body=obj({"action": {"enum": ["dismiss", "delete_message", "disable_user"]}}),
                errors=(403, 404, 409),
            )
        },
        "/api/conversations/{conversation_id}/messages/{message_id}/report": {
            "post": op(
                "Report a message to the server's admins (members; 200 with the earlier report "
                "of the same message by the same member); block: also block its sender",
                201,
                obj({"report": REPORT}),
                body=obj(
                    {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
                    {
                        "category": {
                            "enum": [
                                "spam",
                                "harassment",
                                "hate",
                                "violence",
                                "sexual",
                                "illegal",
                                "other",
                            ]
                        },
                        "block": {"type": "boolean"},
                    },
                ),
                also=200,
            )
        },
        "/api/admin/invites/{invite_id}": {
            "delete": op("Revoke an invite", 204, errors=(403, 404)),
        },
        u: {
            "delete": op(
                "Delete an account, as its owner can (409 for the last server admin)",
                204,
                errors=(403, 404, 409),
            )
        },
        u + "/disable": {
            "post": op(
                "Disable an account: its tokens stop at once, its logins are refused (409 for "
                "oneself)",
                200,
                ADMIN_USER,
                errors=(403, 404, 409),
            )
        },
        u + "/enable": {"post": op("Enable an account again", 200, ADMIN_USER, errors=(403, 404))},
    }
