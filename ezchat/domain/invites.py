"""Invites: with ``REGISTRATION=invite`` an account is made only with a code a server admin
made. A code is shown once; the store keeps its SHA-256. Each use takes one of its ``uses``
in one atomic step, so a code used at once by more people than it has uses admits only as
many as it has."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ezchat.domain.errors import InvalidRequest

CODE_PREFIX = "ezi_"
_CODE = re.compile(r"ezi_[A-Za-z0-9_-]{20,64}")
MAX_USES = 1000
DEFAULT_EXPIRES_S = 7 * 86400
MAX_EXPIRES_S = 365 * 86400


@dataclass(frozen=True)
class Invite:
    id: str
    code_hash: str
    uses: int
    left: int  # uses not taken yet
    expires_at: float  # epoch seconds
    created_by: str
    created_at: float


def new_code() -> str:
    return CODE_PREFIX + secrets.token_urlsafe(18)


def code_hash(code: str) -> str | None:
    """The stored hash of a well-formed code; None for anything else."""
    if not _CODE.fullmatch(code):
        return None
    return hashlib.sha256(code.encode()).hexdigest()


def uses_field(value: int | None) -> int:
    if value is None:
        return 1
    if not 1 <= value <= MAX_USES:
        raise InvalidRequest(f"uses must be 1 to {MAX_USES}", field="uses")
    return value


def expires_field(value: int | None) -> int:
    if value is None:
        return DEFAULT_EXPIRES_S
    if not 60 <= value <= MAX_EXPIRES_S:
        raise InvalidRequest(
            f"expires_in must be 60 to {MAX_EXPIRES_S} seconds", field="expires_in"
        )
    return value
