"""Revoking access: logging out one token or all, changing a password, disabling an account.

Each revocation is written to the user record (what every token check reads, cached), appended
to the revocation feed (which every server reads, so it takes effect everywhere even without a
broker, and even when the admin command made it), and published on the bus, so that open
WebSocket connections using a revoked token close at once."""

from __future__ import annotations

from collections.abc import Callable

from ezchat.domain import rules
from ezchat.domain.access import AccessChange, Revocation
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound, Unauthorized
from ezchat.domain.events import AccessRevoked
from ezchat.domain.ids import new_id
from ezchat.domain.model import User
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.security import PasswordHasher
from ezchat.ports.storage import RevocationStore, UserStore
from ezchat.services.auth import RevokedTokens, Session
from ezchat.services.push import PushService


class AccessService:
    def __init__(
        self,
        *,
        users: UserStore,
        revocations: RevocationStore,
        revoked: RevokedTokens,
        hasher: PasswordHasher,
        bus: EventBus,
        clock: Clock,
        token_ttl_s: float,
        ids: Callable[[], str] = new_id,
        push: PushService | None = None,
    ) -> None:
        """``push``: where the browser subscriptions of revoked sessions are removed."""
        self._push = push
        self._users = users
        self._feed = revocations
        self._revoked = revoked
        self._hasher = hasher
        self._bus = bus
        self._clock = clock
        self._ttl = token_ttl_s
        self._ids = ids

    async def logout(self, session: Session) -> None:
        """The calling token stops working (a token from before tokens had ids: all of the
        user's, as there is no other way to name it)."""
        if session.token_id is None:
            await self.logout_all(session.user.id)
            return
        await self._revoke(session.user.id, token_id=session.token_id, until=session.expires_at)

    async def logout_all(self, user_id: str, *, keep: str | None = None) -> None:
        """Every token of the user stops working, but ``keep``."""
        now = self._clock.now().timestamp()
        await self._users.set_access(user_id, AccessChange(sessions_after=now, session_kept=keep))
        await self._revoke(user_id, kept=keep, at=now)

    async def change_password(self, session: Session, current: str, new: str) -> None:
        """Needs the current password; every other token of the user stops working."""
        credentials = await self._users.credentials(session.user.id)
        if credentials is None or not await self._hasher.verify(current, credentials.password_hash):
            raise Unauthorized("the current password is wrong")
        await self._set_password(session.user.id, new, keep=session.token_id)

    async def reset_password(self, user_id: str, new: str) -> None:
        """An operator's reset: every token of the user stops working."""
        await self._set_password(user_id, new, keep=None)

    async def set_disabled(self, user_id: str, disabled: bool) -> User:
        """A disabled user cannot log in and every token stops working; enabling lets the user
        log in again (old tokens stay revoked)."""
        now = self._clock.now().timestamp()
        if not disabled:
            current = await self._users.get(user_id)
            if current is not None and current.deleted_at is not None:
                raise Conflict("a deleted account cannot be enabled")
        change = AccessChange(disabled=disabled, sessions_after=now if disabled else None)
        user = await self._users.set_access(user_id, change)
        if user is None:
            raise NotFound("user not found")
        if disabled:
            await self._revoke(user_id, at=now)
        return user

    async def set_admin(self, user_id: str, admin: bool) -> User:
        """Make the user a server admin, or not. Their tokens all stop working through the
        revocation feed, which also makes every process drop its cached copy of the user when
        it reads it (within REVOCATION_POLL_S): after that no process honours the old role."""
        now = self._clock.now().timestamp()
        user = await self._users.set_access(user_id, AccessChange(admin=admin, sessions_after=now))
        if user is None:
            raise NotFound("user not found")
        await self._revoke(user_id, at=now)
        return user

    async def _set_password(self, user_id: str, new: str, *, keep: str | None) -> None:
        try:
            rules.password(new)
        except InvalidRequest as exc:
            raise InvalidRequest(
                exc.message.replace("password", "new_password"), field="new_password"
            ) from None
        now = self._clock.now().timestamp()
        password_hash = await self._hasher.hash(new)
        user = await self._users.set_access(
            user_id,
            AccessChange(password_hash=password_hash, sessions_after=now, session_kept=keep),
        )
        if user is None:
            raise NotFound("user not found")
        await self._revoke(user_id, kept=keep, at=now)

    async def _revoke(
        self,
        user_id: str,
        *,
        token_id: str | None = None,
        kept: str | None = None,
        at: float | None = None,
        until: float | None = None,
    ) -> None:
        now = self._clock.now().timestamp()
        revocation = Revocation(
            id=self._ids(),
            user_id=user_id,
            at=now if at is None else at,
            expires_at=until if until is not None else now + self._ttl,
            token_id=token_id,
            kept=kept,
        )
        self._revoked.add(revocation, now=now)
        await self._feed.add(revocation)
        await self._bus.publish(
            AccessRevoked(recipients=frozenset({user_id}), revocation=revocation)
        )
        if self._push is not None:  # after the revocation holds: no new one is made meanwhile
            await self._push.forget_revoked(revocation)
