"""Auth tokens and WebSocket tickets as Tornado signed values: the user id, an expiry, and for
tickets a one-time id and the expiry of the session they were issued from. Each kind is signed
under a name of its own, so neither can stand in for the other."""

from __future__ import annotations

import json

from cachetools import LRUCache
from tornado.web import create_signed_value, decode_signed_value

from ezchat.ports.security import TokenClaims

TOKEN = "ezchat-token"
TICKET = "ezchat-ws-ticket"


class SignedValueTokenCodec:
    def __init__(self, secret: str, *, name: str = TOKEN, remembered: int = 10_000) -> None:
        self._secret = secret
        self._name = name
        # A token's claims never change: verify its signature once, check its expiry each time.
        # Only genuine tokens are remembered, so forged ones cannot push them out.
        self._claims: LRUCache[str, TokenClaims] = LRUCache(maxsize=remembered)

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
        claims: dict[str, object] = {"uid": user_id, "exp": round(expires_at, 3)}
        if token_id is not None:
            claims["jti"] = token_id
            claims["iat"] = round(issued_at, 6)
        if once is not None:
            claims["once"] = once
        if session_expires_at is not None:
            claims["sexp"] = round(session_expires_at, 3)
        value = json.dumps(claims, separators=(",", ":"))
        return create_signed_value(self._secret, self._name, value).decode()

    def read(self, token: str, *, now: float) -> TokenClaims | None:
        claims = self._claims.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims is not None:
                self._claims[token] = claims
        if claims is None or claims.expires_at <= now:
            return None
        return claims

    def _verify(self, token: str) -> TokenClaims | None:
        # Expiry is checked in read() against "exp"; the signature's own age limit is not used.
        try:
            raw = decode_signed_value(self._secret, self._name, token, max_age_days=10**6)
        except (ValueError, UnicodeError):
            return None
        if raw is None:
            return None
        try:
            claims = json.loads(raw)
            user_id, expires_at = claims["uid"], float(claims["exp"])
            once = claims.get("once")
            session = float(claims["sexp"]) if "sexp" in claims else None
            token_id = claims.get("jti")
            issued_at = float(claims.get("iat", 0.0))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not all(isinstance(v, str | None) for v in (once, token_id)):
            return None
        if not isinstance(user_id, str):
            return None
        return TokenClaims(
            user_id,
            expires_at,
            token_id=token_id,
            issued_at=issued_at,
            once=once,
            session_expires_at=session,
        )
