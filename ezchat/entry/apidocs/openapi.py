"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json. Every route the app
serves is here and nothing else (a test compares the two); every answer, errors included, is
described, and the tests hold the live server to it (schemathesis)."""

from __future__ import annotations

from typing import Any

from ezchat import __version__
from ezchat.domain.rules import MAX_PAGE
from ezchat.entry.apidocs.schemas import ID, SEQ, Schema, components, nullable, obj, ref

REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid request: malformed JSON, a missing or mistyped field, a value out of range, "
    "text that is not Unicode, a body that is not application/json",
    401: "Missing, forged or expired token",
    403: "Forbidden by a rule (not an admin, not the sender, blocked)",
    404: "Not found, or a conversation the caller is not a member of",
    405: "The route has no such method (Allow lists those it has)",
    409: "Conflict with the current state",
    413: "Body over MAX_BODY_BYTES",
    429: "Rate limited; Retry-After says when to try again",
    500: "A fault of the server (logged); the error body says nothing more",
    503: "A store or the broker is unavailable",
}
PROCESS_TIME = {"$ref": "#/components/headers/X-Process-Time"}


def _json(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answer(status: int, schema: Schema | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": REASONS[status],
        "headers": {"X-Process-Time": PROCESS_TIME},
    }
    if status == 429:
        out["headers"]["Retry-After"] = {"schema": {"type": "integer"}}
    if schema is not None:
        out["content"] = _json(schema)
    return out


def op(
    summary: str,
    ok: int,
    result: Schema | None = None,
    *,
    body: Schema | None = None,
    auth: bool = True,
    errors: tuple[int, ...] = (404,),
    query: dict[str, Schema] | None = None,
    also: int | None = None,
) -> dict[str, Any]:
    """One operation: its success (``ok``, and ``also`` with the same body, e.g. 200 for an
    idempotent create), and every error it can answer, each with the error body."""
    codes = {400, 500, 503, *errors}
    if auth:
        codes.add(401)
    if body is not None:
        codes.add(413)
    out: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(ok): _answer(ok, result),
            **({str(also): _answer(also, result)} if also else {}),
            **{str(c): _answer(c, ref("Error")) for c in sorted(codes)},
        },
    }
    if not auth:
        out["security"] = []
    if body is not None:
        out["requestBody"] = {"required": True, "content": _json(body)}
    if query:
        out["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in query.items()
        ]
    return out


def _path_params(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    emoji = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "\\S"}
    return [
        {"name": n, "in": "path", "required": True, "schema": emoji if n == "emoji" else ID}
        for n in names
    ]


TEXT = {"type": "string"}
LIMIT = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
USERNAME = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,32}$"}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128}
DISPLAY_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"}
GROUP_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}
URL = {"type": "string", "pattern": "^https?://[^\\s]+$", "maxLength": 2048}
CLIENT_ID = {"type": "string", "minLength": 1, "maxLength": 64}
MESSAGE_TEXT = {"type": "string", "maxLength": 4000}
QUERY = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"}
USER_TOKEN = obj({"user": ref("User"), "token": TEXT})
MESSAGE = ref("Message")
CONVERSATION = ref("Conversation")
LIMITED = (404, 429)  # sends, edits and reactions share the sender's rate limit
ADMIN = (403, 404, 409)
PUSH_SUBSCRIPTION = obj(
    {"endpoint": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}
)


def paths() -> dict[str, dict[str, Any]]:
    c = "/api/conversations/{conversation_id}"
    m = c + "/messages/{message_id}"
    return {
        "/health": {
            "get": op(
                "Health of the server and its dependencies",
                200,
                obj(
                    {
                        "status": {"enum": ["ok", "unavailable"]},
                        "checks": obj(
                            {
                                "storage": {"enum": ["ok", "unavailable"]},
                                "broker": {"enum": ["ok", "unavailable", "disabled"]},
                                "limits": {"enum": ["shared", "local"]},
                            }
                        ),
                    }
                ),
                auth=False,
                errors=(),
            )
        },
        "/metrics": {"get": _metrics()},
        "/api/system": {
            "get": op("System report (only with DEBUG on; 404 otherwise)", 200, {"type": "object"})
        },
        "/api/openapi.json": {
            "get": op("This document", 200, {"type": "object"}, auth=False, errors=())
        },
        "/api/asyncapi.json": {
            "get": op(
                "The AsyncAPI document of /ws", 200, {"type": "object"}, auth=False, errors=()
            )
        },
        "/api/auth/register": {
            "post": op(
                "Create an account",
                201,
                USER_TOKEN,
                body=obj(
                    {"username": USERNAME, "password": PASSWORD}, {"display_name": DISPLAY_NAME}
                ),
                auth=False,
                errors=(409, 429),
            )
        },
        "/api/auth/login": {
            "post": op(
                "Log in",
                200,
                USER_TOKEN,
                body=obj({"username": TEXT, "password": TEXT}),
                auth=False,
                errors=(401, 403, 429),
            )
        },
        "/api/auth/ws-ticket": {
            "post": op(
                "A one-time ticket for /ws?ticket= (30 s)",
                201,
                obj({"ticket": TEXT, "expires_in": {"type": "number"}}),
                errors=(),
            )
        },
        "/api/auth/logout": {"post": op("Revoke the calling token", 204, errors=())},
        "/api/auth/logout-all": {"post": op("Revoke every token of the caller", 204, errors=())},
        "/api/users/me/password": {
            "put": op(
                "Change the password; every other token of the caller is revoked",
                204,
                body=obj({"current_password": TEXT, "new_password": PASSWORD}),
                errors=(404,),
            )
        },
        "/api/users/me": {
            "get": op("The caller", 200, ref("User"), errors=()),
            "patch": op(
                "Change the caller's profile",
                200,
                ref("User"),
                body=obj({}, {"display_name": DISPLAY_NAME, "avatar_url": nullable(URL)}),
                errors=(),
            ),
        },
        "/api/users": {
            "get": op(
                "Users whose username or display name starts with q",
                200,
                obj({"users": {"type": "array", "items": ref("User")}}),
                errors=(),
                query={"q": QUERY, "limit": LIMIT},
            )
        },
        "/api/users/{user_id}": {"get": op("A user", 200, ref("User"))},
        "/api/contacts": {
            "get": op(
                "The caller's contacts",
                200,
                obj({"contacts": {"type": "array", "items": ref("Contact")}}),
                errors=(),
            ),
            "post": op(
                "Ask to be a contact (200 when it accepts their request)",
                201,
                ref("Contact"),
                body=obj({"user_id": ID}),
                errors=(403, 404, 409),
                also=200,
            ),
        },
        "/api/contacts/{user_id}/accept": {
            "post": op("Accept a contact request", 200, ref("Contact"))
        },
        "/api/contacts/{user_id}/block": {"post": op("Block a user", 200, ref("Contact"))},
        "/api/contacts/{user_id}": {
            "delete": op("Remove a contact, cancel or decline a request, or unblock", 204)
        },
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
                "Rename or describe a group (admins)",
                200,
                CONVERSATION,
                body=obj(
                    {}, {"name": TEXT, "description": nullable(TEXT), "avatar_url": nullable(TEXT)}
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
                "Send (200 with the original when client_id was used already)",
                201,
                MESSAGE,
                body=obj(
                    {"client_id": CLIENT_ID},
                    {
                        "text": MESSAGE_TEXT,
                        "attachments": {"type": "array", "items": ref("Attachment")},
                        "reply_to": nullable(ID),
                    },
                ),
                errors=(403, 404, 409, 429),
                also=200,
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


def _metrics() -> dict[str, Any]:
    out = op("Prometheus metrics", 200, auth=False, errors=())
    out["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return out


def document() -> dict[str, Any]:
    all_paths = paths()
    for path, item in all_paths.items():
        params = _path_params(path)
        if params:
            item["parameters"] = params
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EZChat API",
            "version": __version__,
            "description": "REST API of EZChat. Real-time events, sends and sync travel over "
            "the WebSocket /ws, described by /api/asyncapi.json.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": all_paths,
        "components": {
            "schemas": components(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "headers": {
                "X-Process-Time": {
                    "description": "Seconds the server spent on the request",
                    "schema": {"type": "string"},
                }
            },
        },
    }
