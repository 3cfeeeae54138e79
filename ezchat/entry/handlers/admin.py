"""``/api/admin``: what only server admins may do (every route answers 403 to others)."""

from __future__ import annotations

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


class AdminDisableHandler(ApiHandler):
    disabled = True

    async def post(self, user_id: str) -> None:
        user = await self.services.admin.set_disabled(self.user.id, user_id, self.disabled)
        self.reply(serialize.admin_user(user))


class AdminEnableHandler(AdminDisableHandler):
    disabled = False
