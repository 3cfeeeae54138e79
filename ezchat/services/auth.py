"""Registration, login and token authentication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ezchat.domain import rules
from ezchat.domain.access import Credentials, Revocation
from ezchat.domain.apps import looks_like_jwt
from ezchat.domain.errors import Conflict, EzChatError, Forbidden, RateLimited, Unauthorized
from ezchat.domain.events import UserCreated
from ezchat.domain.ids import new_id
from ezchat.domain.model import User
from ezchat.ports.apps import ExternalTokens
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.limits import RateLimits
from ezchat.ports.security import OneTimeKeys, PasswordHasher, TokenCodec
from ezchat.ports.storage import UserStore
from ezchat.services.audit import AuditLog

BAD_LOGIN = "wrong username or password"
# The password hash of a user an app provisioned: no password opens it (their app signs them
# in, through a token from /api/server or a JWT).
NO_PASSWORD = "none$"


# The failure windows of the deployment's RateLimits: failed logins per username, and per client
# address with more room (several users behind one NAT); every registration attempt from an
# address (each costs a slow hash).
LOGIN_NAME = "login-name"
LOGIN_CLIENT = "login-client"
REGISTER = "register"


@dataclass(frozen=True)
class Session:
    """What a token (or a ticket) speaks for."""

    user: User
    token_id: str | None  # None for tokens issued before tokens had ids
    issued_at: float
    expires_at: float


class RevokedTokens:
    """Single tokens revoked and not yet expired, in memory: the token check's only extra work.
    Fed by the revocation feed (every process, and the admin command) and the bus."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def add(self, revocation: Revocation, *, now: float) -> None:
        if revocation.token_id is not None and revocation.expires_at > now:
            self._until[revocation.token_id] = revocation.expires_at
        if len(self._until) > 10_000:
            self._until = {t: u for t, u in self._until.items() if u > now}

    def __contains__(self, token_id: object) -> bool:
        return token_id in self._until


# A WebSocket ticket is for connecting now: long enough for a page to open the socket.
TICKET_TTL_S = 30.0


class AuthService:
    def __init__(
        self,
        *,
        users: UserStore,
        hasher: PasswordHasher,
        tokens: TokenCodec,
        clock: Clock,
        token_ttl_s: float,
        limits: RateLimits,
        tickets: TokenCodec | None = None,
        once: OneTimeKeys | None = None,
        ids: Callable[[], str] = new_id,
        revoked: RevokedTokens | None = None,
        ticket_scope: str | None = None,
    ) -> None:
        """``tickets`` (a codec signing under its own name) and ``once`` (where used tickets
        are remembered) enable WebSocket tickets. ``ticket_scope``: when ``once`` remembers
        only in this process (no Redis), tickets are good only in the process that issued
        them, named by this scope: another process cannot know one was used already."""
        self._ticket_scope = ticket_scope
        self.bus: EventBus | None = None  # where new accounts are told of (set by the wiring)
        self._tickets = tickets
        self._once = once
        self.revoked = revoked or RevokedTokens()
        self._users = users
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._ttl = token_ttl_s
        self._ids = ids
        self._limits = limits
        self._dummy_hash: str | None = None
        # App-signed JWTs, when the deployment takes them (set by the composition root).
        self.external: ExternalLogin | None = None
        self.audit: AuditLog | None = None  # where refused logins are written (the wiring)
        # How long a deleted account keeps its username from others (DELETED_USERNAME_HOLD_DAYS).
        self.username_hold_s = 30 * 86400.0

    def issue_token(self, user_id: str) -> str:
        return self.issue_token_for(user_id, self._ttl)[0]

    def issue_token_for(self, user_id: str, ttl_s: float) -> tuple[str, float]:
        """A token good for ``ttl_s`` seconds, and when it expires (epoch seconds)."""
        now = self._clock.now().timestamp()
        expires_at = now + ttl_s
        token = self._tokens.issue(
            user_id, expires_at=expires_at, token_id=self._ids(), issued_at=now
        )
        return token, expires_at

    async def register(
        self, username: str, password: str, display_name: str | None = None, *, client: str = ""
    ) -> tuple[User, str]:
        """Create an account. Raises ``InvalidRequest`` for bad values, ``Conflict`` when the
        username is taken, ``RateLimited`` past the registrations allowed from ``client`` (the
        caller's address) in the window."""
        if client:
            wait = await self._limits.retry_after(REGISTER, client)
            if wait > 0:
                raise RateLimited(
                    "too many accounts made from this address; try again later", retry_after=wait
                )
            await self._limits.fail(REGISTER, client)
        name = rules.username(username)
        rules.password(password)
        shown = rules.text_field(
            display_name if display_name is not None else name,
            "display_name",
            min_len=1,
            max_len=64,
        )
        holder = await self._users.get_by_username(name)
        if holder is not None and not await self._released(holder):
            raise Conflict("username is taken")
        password_hash = await self._hasher.hash(password)
        now = self._clock.now()
        user = User(id=self._ids(), username=name, display_name=shown, created_at=now)
        await self._users.add(user, Credentials(user_id=user.id, password_hash=password_hash))
        await self.created(user)
        return user, self.issue_token(user.id)

    async def _released(self, holder: User) -> bool:
        """Whether a deleted account held the name past its hold and has now let it go."""
        if holder.deleted_at is None:
            return False
        if self._clock.now().timestamp() - holder.deleted_at < self.username_hold_s:
            return False
        return await self._users.release_username(holder.id, f"~deleted~{holder.id}")

    async def created(self, user: User) -> None:
        if self.bus is not None:
            await self.bus.publish(UserCreated(recipients=frozenset(), user=user))

    async def login(self, username: str, password: str, *, client: str = "") -> tuple[User, str]:
        """Check a password. Raises ``Unauthorized`` with one message for an unknown user and a
        wrong password, and ``RateLimited`` after repeated failures."""
        name = username.lower()
        wait = max(
            await self._limits.retry_after(LOGIN_NAME, name),
            await self._limits.retry_after(LOGIN_CLIENT, client) if client else 0.0,
        )
        if wait > 0:
            raise RateLimited("too many failed logins; try again later", retry_after=wait)
        user = await self._users.get_by_username(name)
        credentials = await self._users.credentials(user.id) if user else None
        if user is None or credentials is None or credentials.password_hash == NO_PASSWORD:
            # Spend the same time as a real check, so response time does not tell who exists.
            await self._hasher.verify(password, await self._dummy())
            ok = False
        else:
            ok = await self._hasher.verify(password, credentials.password_hash)
        if not ok or user is None:
            await self._limits.fail(LOGIN_NAME, name)
            if client:
                await self._limits.fail(LOGIN_CLIENT, client)
            raise Unauthorized(BAD_LOGIN)
        await self._limits.succeed(LOGIN_NAME, name)
        if user.disabled:  # said only to who knows the password
            if self.audit is not None:
                await self.audit.record(user.id, "login.refused", user.id, "disabled")
            raise Forbidden("this account is disabled")
        return user, self.issue_token(user.id)

    async def authenticate(self, token: str | None) -> User:
        """The user a token speaks for. Raises ``Unauthorized`` when it is missing, forged,
        expired, revoked, or its user is gone or disabled."""
        return (await self.session(token)).user

    async def session(self, token: str | None) -> Session:
        """``authenticate``, with the token's id, issue and expiry times: what revocation
        goes by, and when a connection opened with it must end. No storage round trip beyond
        the (cached) user: revocations are in the user record and in memory."""
        if not token:
            raise Unauthorized("missing token")
        if self.external is not None and looks_like_jwt(token):
            return await self.external.session(token, self.revoked)
        claims = self._tokens.read(token, now=self._clock.now().timestamp())
        if claims is None:
            raise Unauthorized("invalid or expired token")
        return await self._admit(
            claims.user_id, claims.token_id, claims.issued_at, claims.expires_at
        )

    async def _admit(
        self, user_id: str, token_id: str | None, issued_at: float, expires_at: float
    ) -> Session:
        user = await self._users.get(user_id)
        if user is None or not user.admits(token_id=token_id, issued_at=issued_at):
            raise Unauthorized("invalid or expired token")
        if token_id is not None and token_id in self.revoked:
            raise Unauthorized("this token was revoked")
        return Session(user, token_id, issued_at, expires_at)

    async def still_works(self, user_id: str, token_id: str | None, issued_at: float) -> bool:
        """Whether a session of the user with that token id and issue time is still good (not
        revoked, the user there and enabled); what a push subscription made with it needs."""
        try:
            await self._admit(user_id, token_id, issued_at, float("inf"))
        except Unauthorized:
            return False
        return True

    def issue_ticket(self, session: Session) -> tuple[str, float]:
        """A ticket for one WebSocket connection of the session's user, good for
        ``TICKET_TTL_S``: (ticket, seconds it is valid). It carries the session's token id and
        issue time, so revoking the session closes the connection too, which also ends when
        the session does."""
        assert self._tickets is not None, "tickets are not configured"
        now = self._clock.now().timestamp()
        ticket = self._tickets.issue(
            session.user.id,
            expires_at=now + TICKET_TTL_S,
            token_id=session.token_id,
            issued_at=session.issued_at,
            once=f"{self._ticket_scope}.{self._ids()}" if self._ticket_scope else self._ids(),
            session_expires_at=session.expires_at,
        )
        return ticket, TICKET_TTL_S

    async def redeem_ticket(self, ticket: str) -> Session:
        """The session a ticket speaks for. Raises ``Unauthorized`` when it is forged,
        expired, used already, or its session no longer works."""
        if self._tickets is None or self._once is None:
            raise Unauthorized("tickets are not accepted here")
        now = self._clock.now().timestamp()
        claims = self._tickets.read(ticket, now=now)
        if claims is None or claims.once is None:
            raise Unauthorized("invalid or expired ticket")
        if self._ticket_scope and not claims.once.startswith(self._ticket_scope + "."):
            raise Unauthorized(
                "this ticket was issued by another server process; without Redis a ticket "
                "works only where it was issued"
            )
        if not await self._once.claim(claims.once, ttl_s=max(1.0, claims.expires_at - now)):
            raise Unauthorized("this ticket was used already")
        return await self._admit(
            claims.user_id,
            claims.token_id,
            claims.issued_at,
            claims.session_expires_at or claims.expires_at,
        )

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(new_id())
        return self._dummy_hash


class ExternalLogin:
    """Sessions from app-signed tokens: the token's ``sub`` is the user's external id; with
    ``provision`` the first token of a user not seen yet makes them (``name`` as display
    name). Revocation applies as to our own tokens (``jti``, ``iat`` against the user's
    cut-off)."""

    def __init__(
        self,
        tokens: ExternalTokens,
        users: UserStore,
        provision: Callable[[str, str | None], Awaitable[User]] | None,
    ) -> None:
        self._tokens = tokens
        self._users = users
        self._provision = provision

    async def session(self, token: str, revoked: RevokedTokens) -> Session:
        claims = await self._tokens.verify(token)
        if claims is None:
            raise Unauthorized("invalid or expired token")
        user = await self._users.get_by_external_id(claims.subject)
        if user is None and self._provision is not None:
            try:
                user = await self._provision(claims.subject, claims.name)
            except EzChatError:  # a subject that cannot be an external id, say
                raise Unauthorized("this token names no user that can be made") from None
        if user is None:
            raise Unauthorized("this token names no user")
        if not user.admits(token_id=claims.token_id, issued_at=claims.issued_at):
            raise Unauthorized("invalid or expired token")
        if claims.token_id is not None and claims.token_id in revoked:
            raise Unauthorized("this token was revoked")
        return Session(user, claims.token_id, claims.issued_at, claims.expires_at)
