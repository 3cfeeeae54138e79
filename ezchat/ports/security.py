"""Ports for password hashing and auth tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    expires_at: float  # epoch seconds


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """A slow salted hash of ``password``, self-describing (algorithm, cost, salt)."""

    async def verify(self, password: str, password_hash: str) -> bool: ...

    async def aclose(self) -> None:
        """Stop the threads hashing runs on."""


class TokenCodec(Protocol):
    def issue(self, user_id: str, *, expires_at: float) -> str:
        """A signed token naming ``user_id``, valid until ``expires_at`` (epoch seconds)."""

    def read(self, token: str, *, now: float) -> TokenClaims | None:
        """What a genuine, unexpired token says; None for anything else."""
