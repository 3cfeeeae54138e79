"""Access to an account: what login checks, what one write changes of it, and what stops a
token working (a revocation, fed to every server)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Revocation:
    """Tokens that stopped working: one token (``token_id``), or every token of the user issued
    before ``at`` but ``kept``. Kept until ``expires_at``, when any token it names has expired."""

    id: str
    user_id: str
    at: float
    expires_at: float
    token_id: str | None = None
    kept: str | None = None

    def revokes(self, *, token_id: str | None, issued_at: float) -> bool:
        if self.token_id is not None:
            return token_id == self.token_id
        return issued_at < self.at and (token_id is None or token_id != self.kept)


@dataclass(frozen=True)
class AccessChange:
    """What one write changes of a user's access; None leaves a field as it is."""

    password_hash: str | None = None
    disabled: bool | None = None
    sessions_after: float | None = None
    session_kept: str | None = None  # with sessions_after: the one token that stays valid
    admin: bool | None = None  # a server admin or not
    deleted_at: float | None = None  # the account is deleted (set once, never cleared)


@dataclass(frozen=True)
class Credentials:
    """What login checks: the password hash (its own format names algorithm, cost and salt)."""

    user_id: str
    password_hash: str
