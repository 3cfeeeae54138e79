"""App-signed JWTs, verified with PyJWT (never by hand): HS256 with ``AUTH_JWT_SECRET``, or
RS256/ES256 with the keys of ``AUTH_JWKS_URL``, read through the guarded outbound client,
cached, and read again when a token names a key id not seen yet (at most every
``REFRESH_MIN_S``). Only the algorithms of the configured keys are accepted: ``none`` never,
and an HS256 token is never checked against a public key."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import jwt

from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.ports.apps import ExternalClaims
from ezchat.ports.clock import Clock

log = logging.getLogger("ezchat.jwt")

REFRESH_MIN_S = 30.0
PUBLIC_ALGORITHMS = frozenset({"RS256", "ES256"})
LEEWAY_S = 30


class JwtTokens:
    def __init__(
        self,
        *,
        clock: Clock,
        secret: str | None = None,
        jwks_url: str | None = None,
        http: OutboundHttp | None = None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        assert (secret is None) != (jwks_url is None), "one of a secret and a key set"
        self._clock = clock
        self._secret = secret
        self._jwks_url = jwks_url
        self._http = http
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._read_at = float("-inf")
        self._reading = asyncio.Lock()

    async def verify(self, token: str) -> ExternalClaims | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        if self._secret is not None:
            key: Any = self._secret
            algorithms = ["HS256"]
        else:
            found = await self._key(header.get("kid"))
            if found is None or found.algorithm_name not in PUBLIC_ALGORITHMS:
                return None
            key, algorithms = found.key, [found.algorithm_name]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY_S,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError:
            return None
        sub, exp = claims.get("sub"), claims.get("exp")
        if not isinstance(sub, str) or not isinstance(exp, int | float):
            return None
        iat, jti, name = claims.get("iat"), claims.get("jti"), claims.get("name")
        return ExternalClaims(
            subject=sub,
            expires_at=float(exp),
            issued_at=float(iat) if isinstance(iat, int | float) else 0.0,
            token_id=jti if isinstance(jti, str) else None,
            name=name if isinstance(name, str) else None,
        )

    async def _key(self, kid: object) -> jwt.PyJWK | None:
        kid = kid if isinstance(kid, str) else None
        if kid not in self._keys and not (kid is None and len(self._keys) == 1):
            await self._read_keys()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    async def _read_keys(self) -> None:
        async with self._reading:
            now = self._clock.monotonic()
            if now - self._read_at < REFRESH_MIN_S:
                return  # read a moment ago: a made-up key id does not make us ask again
            self._read_at = now
            assert self._http is not None and self._jwks_url is not None
            answer, body = await self._http.get(self._jwks_url, timeout_s=5.0)
            if answer.code != 200:
                log.warning("the key set at AUTH_JWKS_URL answered %s", answer.code or answer.error)
                return
            try:
                keys = jwt.PyJWKSet.from_dict(json.loads(body)).keys
            except (ValueError, jwt.PyJWTError) as exc:
                log.warning("the key set at AUTH_JWKS_URL cannot be read: %s", exc)
                return
            self._keys = {k.key_id: k for k in keys}
