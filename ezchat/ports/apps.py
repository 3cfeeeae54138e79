"""The port of server keys: what an app's backend authenticates with on /api/server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ezchat.domain.apps import ServerKey


class ServerKeyStore(Protocol):
    async def add(self, key: ServerKey) -> None:
        """Keep a new key. Raises ``Conflict`` when a key that is not revoked has its name."""

    async def by_hash(self, key_hash: str) -> ServerKey | None: ...

    async def list(self) -> list[ServerKey]:
        """Every key, revoked ones too, oldest first."""

    async def revoke(self, name: str, at: datetime) -> bool:
        """Revoke the key of that name that is not revoked yet; False when there is none."""


@dataclass(frozen=True)
class ExternalClaims:
    """What a verified app-signed token says."""

    subject: str  # the user's external id
    expires_at: float
    issued_at: float = 0.0
    token_id: str | None = None
    name: str | None = None  # a display name, used when the user is made on first use


class ExternalTokens(Protocol):
    async def verify(self, token: str) -> ExternalClaims | None:
        """The claims of a genuine, unexpired token for this deployment; None otherwise."""
