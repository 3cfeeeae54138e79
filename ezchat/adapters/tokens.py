"""Auth tokens as Tornado signed values carrying the user id and an expiry."""

from __future__ import annotations

import json

from cachetools import LRUCache
from tornado.web import create_signed_value, decode_signed_value

from ezchat.ports.security import TokenClaims

NAME = "ezchat-token"


class SignedValueTokenCodec:
    def __init__(self, secret: str, *, remembered: int = 10_000) -> None:
        self._secret = secret
        # A token's claims never change: verify its signature once, check its expiry each time.
        # Only genuine tokens are remembered, so forged ones cannot push them out.
        self._claims: LRUCache[str, tuple[str, float]] = LRUCache(maxsize=remembered)

    def issue(self, user_id: str, *, expires_at: float) -> str:
        value = json.dumps({"uid": user_id, "exp": round(expires_at, 3)}, separators=(",", ":"))
        return create_signed_value(self._secret, NAME, value).decode()

    def read(self, token: str, *, now: float) -> TokenClaims | None:
        claims = self._claims.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims is not None:
                self._claims[token] = claims
        if claims is None or claims[1] <= now:
            return None
        return TokenClaims(user_id=claims[0], expires_at=claims[1])

    def _verify(self, token: str) -> tuple[str, float] | None:
        # Expiry is checked in read() against "exp"; the signature's own age limit is not used.
        try:
            raw = decode_signed_value(self._secret, NAME, token, max_age_days=10**6)
        except (ValueError, UnicodeError):
            return None
        if raw is None:
            return None
        try:
            claims = json.loads(raw)
            user_id, expires_at = claims["uid"], float(claims["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(user_id, str):
            return None
        return user_id, expires_at
