"""What an app's backend does through /api/server: authenticate with a server key, provision
its users by the ids it knows them by, disable them, and get tokens for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from ezchat.domain import rules
from ezchat.domain.access import Credentials
from ezchat.domain.apps import (
    EXTERNAL_ID,
    ServerKey,
    external_id,
    key_hash,
    key_name,
    looks_like_key,
    username_for,
)
from ezchat.domain.apps import new_key as make_key
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound, Unauthorized
from ezchat.domain.ids import new_id
from ezchat.domain.model import User
from ezchat.ports.apps import ServerKeyStore
from ezchat.ports.clock import Clock
from ezchat.ports.storage import UserStore
from ezchat.services.access import AccessService
from ezchat.services.auth import NO_PASSWORD, AuthService

MIN_TOKEN_TTL_S = 60.0
BOT_TOKEN_TTL_S = 100 * 365 * 86_400.0  # "does not expire": a century, revocable any time
MAX_NAME_ATTEMPTS = 5


class AppService:
    def __init__(
        self,
        *,
        keys: ServerKeyStore,
        users: UserStore,
        auth: AuthService,
        access: AccessService,
        clock: Clock,
        key_check_s: float,
        token_ttl_s: float,
    ) -> None:
        """``key_check_s``: how long a key found good is believed without asking the store
        again (the revocation delay: a key revoked anywhere stops working within it)."""
        self._keys = keys
        self._users = users
        self._auth = auth
        self._access = access
        self._clock = clock
        self._key_check_s = key_check_s
        self._token_ttl_s = token_ttl_s
        self._checked: dict[str, tuple[ServerKey, float]] = {}
        # Tells the user's audience of a changed profile (set by the wiring: UserService's).
        self.updated: Callable[[User], Awaitable[None]] | None = None

    # -- keys -------------------------------------------------------------------------------

    async def create_key(self, name: str) -> str:
        """A new key, returned once: only its hash is kept."""
        key = make_key()
        record = ServerKey(
            name=key_name(name), key_hash=key_hash(key), created_at=self._clock.now()
        )
        await self._keys.add(record)
        return key

    async def list_keys(self) -> list[ServerKey]:
        return await self._keys.list()

    async def revoke_key(self, name: str) -> bool:
        return await self._keys.revoke(name, self._clock.now())

    async def authenticate_key(self, token: str | None) -> ServerKey:
        if not token or not looks_like_key(token):
            raise Unauthorized("a server key is required here")
        digest = key_hash(token)
        now = self._clock.monotonic()
        held = self._checked.get(digest)
        if held is not None and now - held[1] < self._key_check_s:
            return held[0]
        key = await self._keys.by_hash(digest)
        if key is None or key.revoked_at is not None:
            self._checked.pop(digest, None)
            raise Unauthorized("unknown or revoked server key")
        if len(self._checked) > 1000:
            self._checked.clear()
        self._checked[digest] = (key, now)
        return key

    # -- users ------------------------------------------------------------------------------

    async def provision(
        self,
        external: str,
        *,
        username: str | None,
        display_name: str | None,
        avatar_url: str | None,
        avatar_given: bool,
    ) -> tuple[User, bool]:
        """The user the app knows as ``external``, made when new (True) or brought up to date
        with what was given. Idempotent, and safe when two calls for one id race: the loser of
        the write reads the winner's user."""
        ext = external_id(external)
        shown = (
            rules.text_field(display_name, "display_name", min_len=1, max_len=64)
            if display_name is not None
            else None
        )
        avatar = rules.url(avatar_url, "avatar_url") if avatar_given else None
        asked = rules.username(username) if username is not None else None
        for attempt in range(MAX_NAME_ATTEMPTS):
            found = await self._users.get_by_external_id(ext)
            if found is not None:
                return await self._update(found, asked, shown, avatar, avatar_given), False
            name = asked or username_for(ext, attempt)
            user = User(
                id=new_id(),
                username=name,
                display_name=shown or name,
                created_at=self._clock.now(),
                avatar_url=avatar,
                external_id=ext,
            )
            try:
                await self._users.add(user, Credentials(user_id=user.id, password_hash=NO_PASSWORD))
                await self._auth.created(user)
                return user, True
            except Conflict:
                if asked is not None and await self._users.get_by_external_id(ext) is None:
                    raise Conflict("username is taken") from None
        raise Conflict("no free username could be made for this user: give one")

    async def _update(
        self,
        user: User,
        asked: str | None,
        shown: str | None,
        avatar: str | None,
        avatar_given: bool,
    ) -> User:
        if asked is not None and asked != user.username:
            raise Conflict("a user's username cannot change")
        changed = replace(
            user,
            display_name=shown if shown is not None else user.display_name,
            avatar_url=avatar if avatar_given else user.avatar_url,
        )
        if changed != user:
            await self._users.update(changed)
            if self.updated is not None:
                await self.updated(changed)
        return changed

    # -- bots -------------------------------------------------------------------------------

    async def create_bot(self, name: str, display_name: str | None = None) -> tuple[User, str]:
        """A bot user and its token, which does not expire (``revoke_bot`` ends it)."""
        username = rules.username(name)
        shown = rules.text_field(display_name or username, "display_name", min_len=1, max_len=64)
        bot = User(
            id=new_id(),
            username=username,
            display_name=shown,
            created_at=self._clock.now(),
            bot=True,
        )
        await self._users.add(bot, Credentials(user_id=bot.id, password_hash=NO_PASSWORD))
        await self._auth.created(bot)
        token, _ = self._auth.issue_token_for(bot.id, BOT_TOKEN_TTL_S)
        return bot, token

    async def bot_named(self, name: str) -> User:
        bot = await self._users.get_by_username(name.lower())
        if bot is None or not bot.bot:
            raise NotFound(f"no bot named {name}")
        return bot

    async def revoke_bot(self, name: str) -> None:
        """Every token of the bot stops (a new one: ``bot_token``)."""
        await self._access.logout_all((await self.bot_named(name)).id)

    async def bot_token(self, name: str) -> str:
        bot = await self.bot_named(name)
        return self._auth.issue_token_for(bot.id, BOT_TOKEN_TTL_S)[0]

    async def acting_user(self, who: str) -> User:
        """Whom a server request acts as: an external id, else a bot's username."""
        found = await self._users.get_by_external_id(who) if EXTERNAL_ID.fullmatch(who) else None
        if found is None:
            bot = await self._users.get_by_username(who.lower())
            found = bot if bot is not None and bot.bot else None
        if found is None:
            raise InvalidRequest("as names no user of the app and no bot", field="as")
        if found.disabled:
            raise Conflict("that user is disabled")
        return found

    async def user_of(self, external: str) -> User:
        user = await self._users.get_by_external_id(external_id(external))
        if user is None:
            raise NotFound("no user with that external_id")
        return user

    async def disable(self, external: str) -> None:
        user = await self.user_of(external)
        await self._access.set_disabled(user.id, True)

    async def issue_token(self, external: str, ttl_s: float | None) -> tuple[str, float]:
        user = await self.user_of(external)
        if user.disabled:
            raise Conflict("this user is disabled")
        ttl = self._token_ttl_s if ttl_s is None else ttl_s
        if not MIN_TOKEN_TTL_S <= ttl <= self._token_ttl_s:
            raise InvalidRequest(
                f"ttl_s must be between {MIN_TOKEN_TTL_S:.0f} and {self._token_ttl_s:.0f}",
                field="ttl_s",
            )
        return self._auth.issue_token_for(user.id, ttl)
