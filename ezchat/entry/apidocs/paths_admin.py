"""The OpenAPI paths of /api/admin: server admins only (403 for everyone else)."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import LIMIT, TEXT, op
from ezchat.entry.apidocs.schemas import nullable, obj, ref

ADMIN_USER = ref("AdminUser")


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
