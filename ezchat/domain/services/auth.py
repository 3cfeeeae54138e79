"""Registration, login and token authentication."""

from __future__ import annotations

from collections.abc import Callable

from ezchat.domain import rules
from ezchat.domain.errors import Conflict, RateLimited, Unauthorized
from ezchat.domain.ids import new_id
from ezchat.domain.model import Credentials, User
from ezchat.domain.ratelimit import FailureLimiter
from ezchat.ports.clock import Clock
from ezchat.ports.security import PasswordHasher, TokenCodec
from ezchat.ports.storage import UserStore

BAD_LOGIN = "wrong username or password"


class AuthService:
    def __init__(
        self,
        *,
        users: UserStore,
        hasher: PasswordHasher,
        tokens: TokenCodec,
        clock: Clock,
        token_ttl_s: float,
        login_max_failures: int = 5,
        login_window_s: float = 300.0,
        register_max_per_address: int = 20,
        register_window_s: float = 600.0,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._ttl = token_ttl_s
        self._ids = ids
        # Per username, and per client address with more room (several users behind one NAT).
        self._by_name = FailureLimiter(max_failures=login_max_failures, window_s=login_window_s)
        self._by_client = FailureLimiter(
            max_failures=login_max_failures * 4, window_s=login_window_s
        )
        # Every registration attempt from an address counts (each costs a slow hash).
        self._registrations = FailureLimiter(
            max_failures=register_max_per_address, window_s=register_window_s
        )
        self._dummy_hash: str | None = None

    def issue_token(self, user_id: str) -> str:
        return self._tokens.issue(user_id, expires_at=self._clock.now().timestamp() + self._ttl)

    async def register(
        self, username: str, password: str, display_name: str | None = None, *, client: str = ""
    ) -> tuple[User, str]:
        """Create an account. Raises ``InvalidRequest`` for bad values, ``Conflict`` when the
        username is taken, ``RateLimited`` past the registrations allowed from ``client`` (the
        caller's address) in the window."""
        if client:
            moment = self._clock.monotonic()
            wait = self._registrations.retry_after(client, now=moment)
            if wait > 0:
                raise RateLimited(
                    "too many accounts made from this address; try again later", retry_after=wait
                )
            self._registrations.fail(client, now=moment)
        name = rules.username(username)
        rules.password(password)
        shown = rules.text_field(
            display_name if display_name is not None else name,
            "display_name",
            min_len=1,
            max_len=64,
        )
        if await self._users.get_by_username(name) is not None:
            raise Conflict("username is taken")
        password_hash = await self._hasher.hash(password)
        now = self._clock.now()
        user = User(id=self._ids(), username=name, display_name=shown, created_at=now)
        await self._users.add(user, Credentials(user_id=user.id, password_hash=password_hash))
        return user, self.issue_token(user.id)

    async def login(self, username: str, password: str, *, client: str = "") -> tuple[User, str]:
        """Check a password. Raises ``Unauthorized`` with one message for an unknown user and a
        wrong password, and ``RateLimited`` after repeated failures."""
        name = username.lower()
        now = self._clock.monotonic()
        wait = max(
            self._by_name.retry_after(name, now=now),
            self._by_client.retry_after(client, now=now) if client else 0.0,
        )
        if wait > 0:
            raise RateLimited("too many failed logins; try again later", retry_after=wait)
        user = await self._users.get_by_username(name)
        credentials = await self._users.credentials(user.id) if user else None
        if user is None or credentials is None:
            # Spend the same time as a real check, so response time does not tell who exists.
            await self._hasher.verify(password, await self._dummy())
            ok = False
        else:
            ok = await self._hasher.verify(password, credentials.password_hash)
        if not ok or user is None:
            self._by_name.fail(name, now=now)
            if client:
                self._by_client.fail(client, now=now)
            raise Unauthorized(BAD_LOGIN)
        self._by_name.succeed(name)
        return user, self.issue_token(user.id)

    async def authenticate(self, token: str | None) -> User:
        """The user a token speaks for. Raises ``Unauthorized`` when it is missing, forged,
        expired, or its user is gone."""
        user, _ = await self.session(token)
        return user

    async def session(self, token: str | None) -> tuple[User, float]:
        """``authenticate``, and when the token expires (epoch seconds): a connection opened
        with it must end then."""
        if not token:
            raise Unauthorized("missing token")
        claims = self._tokens.read(token, now=self._clock.now().timestamp())
        if claims is None:
            raise Unauthorized("invalid or expired token")
        user = await self._users.get(claims.user_id)
        if user is None:
            raise Unauthorized("invalid or expired token")
        return user, claims.expires_at

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(new_id())
        return self._dummy_hash
