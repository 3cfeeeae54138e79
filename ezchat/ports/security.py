"""Ports for password hashing and auth tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ezchat.ports.lifecycle import Lifecycle


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    expires_at: float  # epoch seconds
    token_id: str | None = None  # None for tokens issued before tokens had ids
    issued_at: float = 0.0
    once: str | None = None  # a ticket's one-time id
    session_expires_at: float | None = None  # a ticket's: when the token it came from expires


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """A slow salted hash of ``password``, self-describing (algorithm, cost, salt)."""

    async def verify(self, password: str, password_hash: str) -> bool: ...

    async def aclose(self) -> None:
        """Stop the threads hashing runs on."""


class TokenCodec(Protocol):
    def issue(
        self,
        user_id: str,
        *,
        expires_at: float,
        token_id: str | None = None,
        issued_at: float = 0.0,
        once: str | None = None,
        session_expires_at: float | None = None,
    ) -> str:
        """A signed token naming ``user_id``, valid until ``expires_at`` (epoch seconds), with
        its id and issue time (what revocation goes by); ``once`` and ``session_expires_at``
        are carried for tickets, whose id and issue time are their session token's."""

    def read(self, token: str, *, now: float) -> TokenClaims | None:
        """What a genuine, unexpired token says; None for anything else."""


class OneTimeKeys(Lifecycle, Protocol):
    """Keys that may be used once: a WebSocket ticket's id, remembered until it expires, by
    every process that may be handed the ticket."""

    async def claim(self, key: str, *, ttl_s: float) -> bool:
        """True the first time ``key`` is claimed within ``ttl_s``; False after that."""
