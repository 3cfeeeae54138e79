"""``/api/admin``: what only server admins may do (every route answers 403 to others)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ezchat.domain.audit import AuditEntry
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.invites import Invite
from ezchat.domain.reports import Report, ReportStatus, resolution_field
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


class AdminUserHandler(ApiHandler):
    async def delete(self, user_id: str) -> None:
        await self.services.deletion.delete_by_admin(self.user.id, user_id)
        self.no_content()


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


def report_of(r: Report) -> dict[str, Any]:
    def time(at: float | None) -> str | None:
        return None if at is None else serialize.iso(datetime.fromtimestamp(at, UTC))

    return {
        "id": r.id,
        "conversation_id": r.conversation_id,
        "message_id": r.message_id,
        "reporter_id": r.reporter_id,
        "sender_id": r.sender_id,
        "text": r.text,
        "reason": r.reason,
        "category": r.category,
        "created_at": time(r.created_at),
        "status": r.status.value,
        "resolved_by": r.resolved_by,
        "resolved_at": time(r.resolved_at),
        "action": r.action.value if r.action else None,
    }


class ReportHandler(ApiHandler):
    """A member's report of a message."""

    async def post(self, conversation_id: str, message_id: str) -> None:
        body = self.body()
        made, created = await self.services.reports.report(
            self.user.id,
            conversation_id,
            message_id,
            reason=body.text("reason"),
            category=body.optional_text("category"),
            block=body.optional_bool("block") is True,
        )
        self.reply({"report": report_of(made)}, 201 if created else 200)


class ReportsHandler(ApiHandler):
    async def get(self) -> None:
        status = self.get_query_argument("status", None) or None
        if status not in (None, "open", "resolved"):
            raise InvalidRequest("status must be open or resolved", field="status")
        cursor = self.get_query_argument("cursor", None)
        limit = self.limit()
        found = await self.services.reports.listed(
            self.user.id,
            status=ReportStatus(status) if status else None,
            before=cursors.decode_audit(cursor) if cursor else None,
            limit=limit,
        )
        more = len(found) == limit
        self.reply(
            {
                "reports": [report_of(r) for r in found],
                "next_cursor": cursors.encode_audit(found[-1].key()) if more and found else None,
            }
        )


class ResolveHandler(ApiHandler):
    async def post(self, report_id: str) -> None:
        action = resolution_field(self.body().text("action"))
        done = await self.services.reports.resolve(self.user.id, report_id, action)
        self.reply({"report": report_of(done)})
