"""Apps built on EZChat: the server keys their backends hold, and the external ids they know
their users by."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from ezchat.domain.errors import InvalidRequest

KEY_PREFIX = "ezk_"
EXTERNAL_ID = re.compile(r"[A-Za-z0-9_.:@|+=-]{1,128}")
KEY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class ServerKey:
    name: str
    key_hash: str  # SHA-256 of the key, hex: the key itself is shown once and never kept
    created_at: datetime
    revoked_at: datetime | None = None


def new_key() -> str:
    """256 random bits, recognisable as a server key by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """Keys are random and long: one SHA-256 is the right check (a slow password hash would
    buy nothing and cost every server request)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts, the first a JSON header: never one of our own signed tokens."""
    return token.count(".") == 2 and token.startswith("eyJ")


def key_name(value: str) -> str:
    if not KEY_NAME.fullmatch(value):
        raise InvalidRequest("a key's name is 1-64 characters of A-Z a-z 0-9 _ . -", field="name")
    return value


def external_id(value: str) -> str:
    if not EXTERNAL_ID.fullmatch(value):
        raise InvalidRequest(
            "external_id must be 1-128 characters of A-Z a-z 0-9 and _ . : @ | + = -",
            field="external_id",
        )
    return value


def username_for(external: str, attempt: int) -> str:
    """A username for a provisioned user who was given none: from the external id, made to fit
    the username rules (3-32 of a-z 0-9 _ . -), with a random tail after a first collision."""
    base = re.sub(r"[^a-z0-9_.-]", "-", external.lower()).strip(".-")[:24] or "user"
    if len(base) < 3:
        base = f"u-{base}"
    return base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
