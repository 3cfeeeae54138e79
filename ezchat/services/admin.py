"""Server admins: who they are (``User.admin``, set by ``python -m ezchat users promote``) and
what only they may do through ``/api/admin``: list every account, disable and enable one, read
the audit log (where what they do is written)."""

from __future__ import annotations

from ezchat.domain.audit import AuditEntry
from ezchat.domain.errors import Conflict, Forbidden, NotFound
from ezchat.domain.model import User
from ezchat.ports.storage import UserStore
from ezchat.services.access import AccessService
from ezchat.services.audit import AuditLog


class AdminService:
    def __init__(self, *, users: UserStore, access: AccessService, audit: AuditLog) -> None:
        self._users = users
        self._access = access
        self.audit = audit

    async def require_admin(self, caller: str) -> User:
        """The caller, when a server admin; ``Forbidden`` otherwise."""
        user = await self._users.get(caller)
        if user is None or not user.admin:
            raise Forbidden("server admins only")
        return user

    async def users(
        self, caller: str, *, q: str, after: str, limit: int
    ) -> tuple[list[User], str | None]:
        """Accounts whose username or display name starts with ``q``, by username; and the
        username to go on after, or None at the end."""
        await self.require_admin(caller)
        found = await self._users.search(q, limit + 1, after=after)
        page = found[:limit]
        return page, page[-1].username if len(found) > limit else None

    async def set_disabled(self, caller: str, user_id: str, disabled: bool) -> User:
        """Disable (every token stops working at once) or enable an account; an admin cannot
        disable themselves (``Conflict``): the server would be left without them."""
        await self.require_admin(caller)
        if disabled and user_id == caller:
            raise Conflict("an admin cannot disable themselves")
        if len(user_id) > 64 or await self._users.get(user_id) is None:
            raise NotFound("user not found")
        user = await self._access.set_disabled(user_id, disabled)
        await self.audit.record(caller, "user.disable" if disabled else "user.enable", user_id)
        return user

    async def log(
        self,
        caller: str,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        """The audit log, newest first, for admins."""
        await self.require_admin(caller)
        return await self.audit.store.page(before=before, actor=actor, action=action, limit=limit)
