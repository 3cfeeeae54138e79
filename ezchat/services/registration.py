"""Who may make an account: ``REGISTRATION`` open (anyone), invite (a server admin's code,
each use taken atomically) or closed (only admins and the CLI), and the invites admins make."""

from __future__ import annotations

from ezchat.domain import invites
from ezchat.domain.errors import Forbidden, NotFound
from ezchat.domain.ids import new_id
from ezchat.domain.invites import Invite
from ezchat.domain.model import User
from ezchat.ports.clock import Clock
from ezchat.ports.invites import InviteStore
from ezchat.services.admin import AdminService
from ezchat.services.auth import AuthService


class RegistrationService:
    def __init__(
        self,
        *,
        mode: str,
        auth: AuthService,
        invites: InviteStore,
        admin: AdminService,
        clock: Clock,
    ) -> None:
        self.mode = mode
        self._auth = auth
        self._invites = invites
        self._admin = admin
        self._clock = clock

    async def register(
        self,
        username: str,
        password: str,
        display_name: str | None,
        *,
        invite: str | None,
        client: str,
    ) -> tuple[User, str]:
        """A new account by its owner, as the mode allows: ``Forbidden`` when closed, or
        without a valid invite in invite mode (a used-up or expired code too). A use taken
        for a registration that then fails (a taken username) is given back."""
        if self.mode == "closed":
            raise Forbidden("registration is closed; ask an admin for an account")
        taken: Invite | None = None
        if self.mode == "invite":
            hashed = invites.code_hash(invite or "")
            now = self._clock.now().timestamp()
            taken = await self._invites.use(hashed, now=now) if hashed else None
            if taken is None:
                raise Forbidden("registration needs a valid invite (used up, expired or none)")
        try:
            return await self._auth.register(username, password, display_name, client=client)
        except BaseException:
            if taken is not None:
                await self._invites.give_back(taken.id)
            raise

    async def create_user(
        self, caller: str, username: str, password: str, display_name: str | None
    ) -> User:
        """An account made by a server admin, whatever the mode."""
        await self._admin.require_admin(caller)
        user, _ = await self._auth.register(username, password, display_name)
        await self._admin.audit.record(caller, "user.create", user.id, user.username)
        return user

    async def invite(
        self, caller: str, *, uses: int | None, expires_in: int | None
    ) -> tuple[Invite, str]:
        """A new invite and its code (shown this once)."""
        await self._admin.require_admin(caller)
        code = invites.new_code()
        hashed = invites.code_hash(code)
        assert hashed is not None
        now = self._clock.now().timestamp()
        count = invites.uses_field(uses)
        made = Invite(
            id=new_id(),
            code_hash=hashed,
            uses=count,
            left=count,
            expires_at=now + invites.expires_field(expires_in),
            created_by=caller,
            created_at=now,
        )
        await self._invites.add(made)
        await self._admin.audit.record(caller, "invite.create", made.id, f"uses={count}")
        return made, code

    async def invites_of(self, caller: str) -> list[Invite]:
        await self._admin.require_admin(caller)
        return await self._invites.all()

    async def revoke(self, caller: str, invite_id: str) -> None:
        await self._admin.require_admin(caller)
        if not await self._invites.remove(invite_id):
            raise NotFound("invite not found")
        await self._admin.audit.record(caller, "invite.revoke", invite_id)
