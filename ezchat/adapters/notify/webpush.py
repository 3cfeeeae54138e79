"""The Web Push channel: each of the user's browser subscriptions gets the notification's JSON,
encrypted for that browser (RFC 8291, aes128gcm, by pywebpush) and sent to its push service
with a VAPID signature (RFC 8292, by py_vapid), over Tornado's HTTP client.

A push service answering 404 or 410 says the subscription is gone: it is removed, and that
target counts as done. ``Topic`` (one per conversation) lets a push service replace a
notification still waiting for an offline device with the newer one; ``Urgency`` is high when
the user is mentioned."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

from ezchat.adapters.notify.http import USER_AGENT, answered, payload
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.domain.notify import Notice
from ezchat.domain.outbox import PushSubscription
from ezchat.ports.clock import Clock
from ezchat.ports.notify import Outcome
from ezchat.ports.storage import PushSubscriptionStore

# Whether the session a subscription was made with still works: (user id, token id, issued at).
SessionCheck = Callable[[str, str | None, float], Awaitable[bool]]

# A VAPID token may live 24 h (RFC 8292); one is made per push service origin and kept for 12.
TOKEN_LIFE_S = 24 * 3600
TOKEN_REUSE_S = 12 * 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_vapid(private_key: str) -> Vapid02:
    """A VAPID key from PEM, or from the base64url of the raw 32-byte private value. Raises
    ``ValueError`` when it is neither."""
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_raw(text.encode())
    except Exception as exc:  # py_vapid raises several kinds for a bad key
        raise ValueError(f"not a P-256 private key: {type(exc).__name__}") from None


def public_key(vapid: Vapid02) -> str:
    """The application server key browsers subscribe with: base64url, uncompressed point."""
    return b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def target_key(endpoint: str) -> str:
    return "push:" + hashlib.sha256(endpoint.encode()).hexdigest()[:16]


def topic(conversation_id: str) -> str:
    """At most 32 base64url characters (RFC 8030 5.4)."""
    return b64url(hashlib.sha256(conversation_id.encode()).digest())[:32]


def encrypt(subscription: PushSubscription, data: bytes) -> bytes:
    pusher = WebPusher(
        {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
    )
    body: bytes = pusher.encode(data, "aes128gcm")["body"]
    return body


class WebPushChannel:
    name = "push"

    def __init__(
        self,
        *,
        subscriptions: PushSubscriptionStore,
        sessions: SessionCheck,
        vapid: Vapid02,
        subject: str,
        ttl_s: int,
        timeout_s: float,
        clock: Clock,
        http: OutboundHttp,
    ) -> None:
        self._subs = subscriptions
        self._sessions = sessions
        self._vapid = vapid
        self._subject = subject
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._http = http
        self._tokens: dict[str, tuple[float, str]] = {}  # origin -> (made at, Authorization)

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        made = self._tokens.get(origin)
        if made is None or now - made[0] > TOKEN_REUSE_S:
            header = self._vapid.sign(
                {"aud": origin, "sub": self._subject, "exp": int(now) + TOKEN_LIFE_S}
            )["Authorization"]
            made = (now, header)
            self._tokens[origin] = made
        return made[1]

    async def deliver(self, notice: Notice, done: Collection[str]) -> list[Outcome]:
        subs = [
            s
            for s in await self._subs.for_user(notice.user_id)
            if target_key(s.endpoint) not in done
            # Made with a session revoked since (on another process, or before its removal
            # was written): that browser is no longer the user's.
            and await self._sessions(s.user_id, s.token_id, s.issued_at)
        ]
        if not subs:
            return []
        data = payload(notice, self._clock.now())
        return list(await asyncio.gather(*(self._send(s, notice, data) for s in subs)))

    async def _send(self, sub: PushSubscription, notice: Notice, data: bytes) -> Outcome:
        key = target_key(sub.endpoint)
        try:
            # ECDH and AES off the event loop: a few hundred microseconds each.
            body = await asyncio.get_running_loop().run_in_executor(None, encrypt, sub, data)
        except Exception as exc:  # keys that passed the checks but no curve takes
            return Outcome(
                key, False, error=f"cannot encrypt: {type(exc).__name__}", permanent=True
            )
        answer = await self._http.post(
            sub.endpoint,
            body=body,
            headers={
                "Authorization": self._authorization(sub.endpoint),
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": str(self._ttl_s),
                "Urgency": "high" if notice.mentioned else "normal",
                "Topic": topic(notice.conversation.id),
                "User-Agent": USER_AGENT,
            },
            timeout_s=self._timeout_s,
        )
        if answer.code in (404, 410):  # the browser unsubscribed, or the service expired it
            await self._subs.remove_endpoint(sub.endpoint)
            return Outcome.sent(key)
        return answered(key, answer)

    async def aclose(self) -> None:
        return None
