"""The OpenAPI paths of webhooks: event webhooks (a server key), incoming webhooks (a group's
admin or a server key) and the URL they post to."""

from __future__ import annotations

from typing import Any

from ezchat.domain.webhooks import ALL, EVENT_TYPES, MAX_SECRET_CHARS, MIN_SECRET_CHARS
from ezchat.entry.apidocs.operations import CLIENT_ID, LIMIT, MESSAGE_TEXT, TEXT, op
from ezchat.entry.apidocs.paths_server import KEY
from ezchat.entry.apidocs.schemas import nullable, obj, ref

TIME = {"type": "string", "format": "date-time"}
EVENTS = {
    "type": "array",
    "minItems": 1,
    "items": {"enum": [*EVENT_TYPES, ALL]},
}
WEBHOOK = obj({"id": TEXT, "url": TEXT, "events": EVENTS, "created_at": TIME}, {"secret": TEXT})
DELIVERY = obj(
    {
        "event_id": TEXT,
        "event_type": {"enum": list(EVENT_TYPES)},
        "status": {"enum": ["pending", "delivered", "dead"]},
        "attempts": {"type": "integer", "minimum": 0},
        "last_status_code": nullable({"type": "integer"}),
        "last_error": nullable(TEXT),
        "created_at": TIME,
        "next_attempt_at": nullable(TIME),
        "finished_at": nullable(TIME),
    }
)
HOOK_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"}
INCOMING = obj(
    {
        "id": TEXT,
        "name": TEXT,
        "conversation_id": TEXT,
        "bot_id": TEXT,
        "created_at": TIME,
    },
    {"url": {"type": "string", "description": "/hooks/TOKEN: shown once, at creation"}},
)


def _keyed(operation: dict[str, Any]) -> dict[str, Any]:
    operation["security"] = KEY
    return operation


def _incoming(keyed: bool) -> dict[str, dict[str, Any]]:
    wrap = _keyed if keyed else (lambda o: o)
    who = "a server key" if keyed else "the group's admins"
    return {
        "post": wrap(
            op(
                f"Make an incoming webhook for a group ({who}); its bot joins the group",
                201,
                INCOMING,
                body=obj({"name": HOOK_NAME}),
                errors=(403, 404, 409),
            )
        ),
        "get": wrap(
            op(
                "The group's incoming webhooks",
                200,
                obj({"incoming_webhooks": {"type": "array", "items": INCOMING}}),
                errors=(403, 404),
            )
        ),
    }


def _revoke(keyed: bool) -> dict[str, dict[str, Any]]:
    wrap = _keyed if keyed else (lambda o: o)
    summary = "Revoke an incoming webhook: its URL stops, its bot leaves the group"
    return {"delete": wrap(op(summary, 204, errors=(403, 404)))}


def paths() -> dict[str, dict[str, Any]]:
    secret = {"type": "string", "minLength": MIN_SECRET_CHARS, "maxLength": MAX_SECRET_CHARS}
    group = "/api/conversations/{conversation_id}/incoming-webhooks"
    return {
        "/api/server/webhooks": {
            "post": _keyed(
                op(
                    "Register an event webhook (the secret is generated when not given)",
                    201,
                    WEBHOOK,
                    body=obj({"url": TEXT, "events": EVENTS}, {"secret": secret}),
                    errors=(),
                )
            ),
            "get": _keyed(
                op(
                    "The event webhooks (without their secrets)",
                    200,
                    obj({"webhooks": {"type": "array", "items": WEBHOOK}}),
                    errors=(),
                )
            ),
        },
        "/api/server/webhooks/{webhook_id}": {
            "delete": _keyed(op("Remove an event webhook and its deliveries", 204))
        },
        "/api/server/webhooks/{webhook_id}/deliveries": {
            "get": _keyed(
                op(
                    "The webhook's latest deliveries, newest first",
                    200,
                    obj({"deliveries": {"type": "array", "items": DELIVERY}}),
                    query={"limit": LIMIT},
                )
            )
        },
        group: _incoming(False),
        group + "/{hook_id}": _revoke(False),
        "/api/server" + group[len("/api") :]: _incoming(True),
        "/api/server" + group[len("/api") :] + "/{hook_id}": _revoke(True),
        "/hooks/{token}": {
            "post": op(
                "Post into the hook's group as its bot (the token is the credential)",
                201,
                ref("Message"),
                body=obj({"text": MESSAGE_TEXT}, {"client_id": CLIENT_ID}),
                auth=False,
                also=200,
                errors=(403, 404, 429),
            )
        },
    }
