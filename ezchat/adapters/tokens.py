"""Auth tokens as Tornado signed values carrying the user id and an expiry."""

from __future__ import annotations

import json

from tornado.web import create_signed_value, decode_signed_value

NAME = "ezchat-token"


class SignedValueTokenCodec:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, user_id: str, *, expires_at: float) -> str:
        value = json.dumps({"uid": user_id, "exp": round(expires_at, 3)}, separators=(",", ":"))
        return create_signed_value(self._secret, NAME, value).decode()

    def read(self, token: str, *, now: float) -> str | None:
        # Expiry is checked below against "exp"; the signature's own age limit is not used.
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
        if not isinstance(user_id, str) or expires_at <= now:
            return None
        return user_id
