"""The OpenAPI paths of the server itself, accounts, users and contacts."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import (
    DISPLAY_NAME,
    LIMIT,
    PASSWORD,
    QUERY,
    TEXT,
    URL,
    USER_TOKEN,
    USERNAME,
    op,
)
from ezchat.entry.apidocs.schemas import ID, nullable, obj, ref


def paths() -> dict[str, dict[str, Any]]:
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
                "Create an account (403 when REGISTRATION is closed, or is invite and no valid "
                "invite is given)",
                201,
                USER_TOKEN,
                body=obj(
                    {"username": USERNAME, "password": PASSWORD},
                    {"display_name": DISPLAY_NAME, "invite": TEXT},
                ),
                auth=False,
                errors=(403, 409, 429),
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
            "delete": op(
                "Delete the caller's account (its password, again): tokens, sockets, push "
                "subscriptions, contacts, exports and group memberships end at once; messages "
                "stay, from Deleted user, or become tombstones with ERASE_ON_DELETE",
                204,
                body=obj({"password": TEXT}),
                errors=(),
            ),
            "patch": op(
                "Change the caller's profile",
                200,
                ref("User"),
                body=obj({}, {"display_name": DISPLAY_NAME, "avatar_url": nullable(URL)}),
                errors=(),
            ),
        },
        "/api/users/me/export": {
            "post": op(
                "Ask for an export of the caller's data (built in the background; asking "
                "while one is pending gives that one; at most 5 kept)",
                202,
                obj({"export": ref("Export")}),
                errors=(409, 429),
            )
        },
        "/api/users/me/exports": {
            "get": op(
                "The caller's exports, newest first",
                200,
                obj({"exports": {"type": "array", "items": ref("Export")}}),
                errors=(),
            )
        },
        "/api/users/me/exports/{export_id}": {
            "get": _export_download(),
            "delete": op("Delete one of the caller's exports", 204),
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
    }


def _export_download() -> dict[str, Any]:
    out = op(
        "The export's zip once ready (202 with the export while pending; 409 when it failed)",
        200,
        accepted=obj({"export": ref("Export")}),
        errors=(404, 409),
    )
    out["responses"]["200"]["content"] = {
        "application/zip": {"schema": {"type": "string", "format": "binary"}}
    }
    return out


def _metrics() -> dict[str, Any]:
    out = op("Prometheus metrics", 200, auth=False, errors=())
    out["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return out
