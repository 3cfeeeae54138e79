"""``/api/admin``: what only server admins may do (every route answers 403 to others)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ezchat.domain.audit import AuditEntry
from ezchat.domain.invites import Invite
from ezchat.domain.unset import Unset
from ezchat.entry import cursors, serialize
from ezchat.entry.handlers.base import ApiHandler


class AdminUsersHandler(ApiHandler):
    async def get(self) -> None:
        cursor = self.get_query_argument("cursor", None)
        users, after = await self.services.admin.users(
            self.user.id,
            q=self.get_query_argument("q", ""),
            after=cursors.decode_after(cursor) if cursor else "",
            limit=self.limit(),
        )
        self.reply(
            {
                "users": [serialize.admin_user(u) for u in users],
                "next_cursor": cursors.encode_after(after) if after else None,
            }
        )

    async def post(self) -> None:
        body = self.body()
        user = await self.services.registration.create_user(
            self.user.id,
            body.text("username"),
            body.text("password"),
            body.optional_text("display_name"),
        )
        self.reply(serialize.admin_user(user), 201)


class AdminDisableHandler(ApiHandler):
    disabled = True

    async def post(self, user_id: str) -> None:
        user = await self.services.admin.set_disabled(self.user.id, user_id, self.disabled)
        self.reply(serialize.admin_user(user))


class AdminEnableHandler(AdminDisableHandler):
    disabled = False


def invite_of(i: Invite) -> dict[str, Any]:
    return {
        "id": i.id,
        "uses": i.uses,
        "left": i.left,
        "expires_at": serialize.iso(datetime.fromtimestamp(i.expires_at, UTC)),
        "created_by": i.created_by,
        "created_at": serialize.iso(datetime.fromtimestamp(i.created_at, UTC)),
    }


class InvitesHandler(ApiHandler):
    async def get(self) -> None:
        found = await self.services.registration.invites_of(self.user.id)
        self.reply({"invites": [invite_of(i) for i in found]})

    async def post(self) -> None:
        body = self.body()
        uses, expires_in = body.optional_integer("uses"), body.optional_integer("expires_in")
        made, code = await self.services.registration.invite(
            self.user.id,
            uses=None if isinstance(uses, Unset) else uses,
            expires_in=None if isinstance(expires_in, Unset) else expires_in,
        )
        url = f"{self.request.protocol}://{self.request.host}/?invite={code}"
        self.reply({"code": code, "url": url, "invite": invite_of(made)}, 201)


class InviteHandler(ApiHandler):
    async def delete(self, invite_id: str) -> None:
        await self.services.registration.revoke(self.user.id, invite_id)
        self.no_content()


def entry_of(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": serialize.iso(datetime.fromtimestamp(e.at, UTC)),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "request_id": e.request_id,
        "detail": e.detail,
    }


class AuditHandler(ApiHandler):
    async def get(self) -> None:
        cursor = self.get_query_argument("cursor", None)
        limit = self.limit()
        found = await self.services.admin.log(
            self.user.id,
            before=cursors.decode_audit(cursor) if cursor else None,
            actor=self.get_query_argument("actor", None) or None,
            action=self.get_query_argument("action", None) or None,
            limit=limit,
        )
        more = len(found) == limit
        self.reply(
            {
                "entries": [entry_of(e) for e in found],
                "next_cursor": cursors.encode_audit(found[-1].key()) if more and found else None,
            }
        )
