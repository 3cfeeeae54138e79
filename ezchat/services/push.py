"""Web Push subscriptions: a browser hands over where its push service takes messages for it
and the keys to encrypt them with; the user can take it back. Everything is checked here, so a
stored subscription can always be used (or is refused by the push service, never by us)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from ezchat.domain.access import Revocation
from ezchat.domain.addresses import known_private
from ezchat.domain.errors import InvalidRequest, NotFound
from ezchat.domain.outbox import PushSubscription
from ezchat.ports.clock import Clock
from ezchat.ports.storage import PushSubscriptionStore
from ezchat.services.auth import Session

MAX_ENDPOINT_CHARS = 2048

# NIST P-256: y^2 = x^3 - 3x + b (mod p).
_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def _b64url(value: str, field: str) -> bytes:
    if not value or any(c not in _B64URL for c in value):
        raise InvalidRequest(f"{field} must be base64url", field=field)
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{field} must be base64url", field=field) from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def on_p256(point: bytes) -> bool:
    """Whether ``point`` is an uncompressed point of P-256 (65 bytes, 0x04, x, y)."""
    if len(point) != 65 or point[0] != 4:
        return False
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    return x < _P and y < _P and (y * y - (x * x * x - 3 * x + _B)) % _P == 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(
    endpoint: str, *, allow_private: bool = False, field: str = "endpoint", http: bool = False
) -> str:
    """An https URL (plain http only on this machine's loopback: tests, local push services;
    or anywhere with ``http``), on a public address unless ``allow_private``."""
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise InvalidRequest(
            f"{field} must be at most {MAX_ENDPOINT_CHARS} characters", field=field
        )
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise InvalidRequest(f"{field} is not a URL", field=field) from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InvalidRequest(f"{field} must be an https URL", field=field)
    if not allow_private and known_private(host):
        raise InvalidRequest(f"{field} must be on a public address", field=field)
    if parts.scheme == "http" and not (http or _loopback(host)):
        raise InvalidRequest(f"{field} must be https (http only on loopback)", field=field)
    if parts.fragment or any(c.isspace() or ord(c) < 0x21 for c in endpoint) or port == 0:
        raise InvalidRequest(f"{field} is not a usable URL", field=field)
    return endpoint


class PushService:
    def __init__(
        self, *, store: PushSubscriptionStore, clock: Clock, keep: int, allow_private: bool = False
    ) -> None:
        self._store = store
        self._clock = clock
        self._keep = keep
        self._allow_private = allow_private

    async def subscribe(
        self, session: Session, *, endpoint: str, p256dh: str, auth: str
    ) -> PushSubscription:
        """Store the browser's subscription, bound to ``session``: revoking that session (a
        logout, a logout everywhere, a password change, a disabled account) ends it."""
        check_endpoint(endpoint, allow_private=self._allow_private)
        if not on_p256(_b64url(p256dh, "keys.p256dh")):
            raise InvalidRequest("keys.p256dh must be a P-256 public key", field="keys.p256dh")
        if len(_b64url(auth, "keys.auth")) != 16:
            raise InvalidRequest("keys.auth must be 16 bytes", field="keys.auth")
        subscription = PushSubscription(
            endpoint=endpoint,
            user_id=session.user.id,
            p256dh=p256dh.rstrip("="),
            auth=auth.rstrip("="),
            created_at=self._clock.now(),
            token_id=session.token_id,
            issued_at=session.issued_at,
        )
        await self._store.put(subscription, keep=self._keep)
        return subscription

    async def forget_revoked(self, revocation: Revocation) -> int:
        """Remove the user's subscriptions made with a session ``revocation`` ends; how many."""
        gone = 0
        for sub in await self._store.for_user(revocation.user_id):
            if revocation.revokes(token_id=sub.token_id, issued_at=sub.issued_at):
                gone += await self._store.remove(revocation.user_id, sub.endpoint)
        return gone

    async def unsubscribe(self, caller: str, endpoint: str) -> None:
        if not await self._store.remove(caller, endpoint):
            raise NotFound("no such subscription of yours")

    async def subscriptions(self, caller: str) -> list[PushSubscription]:
        return await self._store.for_user(caller)
