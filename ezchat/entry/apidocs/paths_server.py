"""The OpenAPI paths of an app's backend (/api/server): authenticated by a server key."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import (
    CLIENT_ID,
    DISPLAY_NAME,
    MESSAGE_TEXT,
    URL,
    USERNAME,
    op,
)
from ezchat.entry.apidocs.schemas import nullable, obj, ref

KEY: list[dict[str, list[str]]] = [{"serverKey": []}]


def _keyed(operation: dict[str, Any]) -> dict[str, Any]:
    operation["security"] = KEY
    return operation


def paths() -> dict[str, dict[str, Any]]:
    user = ref("User")
    provision = obj(
        {}, {"username": USERNAME, "display_name": DISPLAY_NAME, "avatar_url": nullable(URL)}
    )
    return {
        "/api/server/users/{external_id}": {
            "put": _keyed(
                op(
                    "Provision the app's user (201 made, 200 brought up to date)",
                    201,
                    user,
                    body=provision,
                    also=200,
                    errors=(409,),
                )
            ),
            "get": _keyed(op("The app's user", 200, user)),
            "delete": _keyed(op("Disable the app's user (tokens and sockets stop)", 204)),
        },
        "/api/server/conversations": {
            "post": _keyed(
                op(
                    "A conversation of the app's users (direct: two; group: the first is admin)",
                    201,
                    ref("Conversation"),
                    body=obj(
                        {
                            "type": {"enum": ["direct", "group"]},
                            "member_external_ids": {"type": "array", "items": {"type": "string"}},
                        },
                        {"name": {"type": "string"}},
                    ),
                    also=200,
                    errors=(403, 404, 409),
                )
            )
        },
        "/api/server/conversations/{conversation_id}/messages": {
            "post": _keyed(
                op(
                    "Send as one of the app's users (external id) or a bot (username)",
                    201,
                    ref("Message"),
                    body=obj(
                        {"as": {"type": "string"}, "client_id": CLIENT_ID},
                        {
                            "text": MESSAGE_TEXT,
                            "attachments": {"type": "array", "items": ref("AttachmentIn")},
                            "reply_to": nullable({"type": "string"}),
                        },
                    ),
                    also=200,
                    errors=(403, 404, 409, 429),
                )
            )
        },
        "/api/server/users/{external_id}/tokens": {
            "post": _keyed(
                op(
                    "A token for the app's user",
                    201,
                    obj(
                        {
                            "token": {"type": "string"},
                            "expires_at": {"type": "string", "format": "date-time"},
                        }
                    ),
                    body=obj({}, {"ttl_s": {"type": "integer", "minimum": 60}}),
                    errors=(404, 409),
                )
            )
        },
    }
