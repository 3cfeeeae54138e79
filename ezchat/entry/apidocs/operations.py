"""The pieces the OpenAPI document is written with: one operation and its answers (every error
with the error body), path parameters, and the field schemas the paths share."""

from __future__ import annotations

from typing import Any

from ezchat.domain.rules import MAX_PAGE
from ezchat.entry.apidocs.schemas import ID, Schema, obj, ref

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: kept, to be done later",
    204: "No content",
    400: "Invalid request: malformed JSON, a missing or mistyped field, a value out of range, "
    "text that is not Unicode, a body that is not application/json",
    401: "Missing, forged or expired token",
    403: "Forbidden by a rule (not an admin, not the sender, blocked)",
    404: "Not found, or a conversation the caller is not a member of",
    405: "The route has no such method (Allow lists those it has)",
    409: "Conflict with the current state",
    413: "Body over MAX_BODY_BYTES (an upload: over MAX_UPLOAD_BYTES, or past the quota)",
    416: "The range begins past the end of the file",
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
    accepted: Schema | None = None,
) -> dict[str, Any]:
    """One operation: its success (``ok``, and ``also`` with the same body, e.g. 200 for an
    idempotent create; ``accepted``: the body of a 202), and every error it can answer, each
    with the error body."""
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
            **({"202": _answer(202, accepted)} if accepted else {}),
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


def path_params(path: str) -> list[dict[str, Any]]:
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
