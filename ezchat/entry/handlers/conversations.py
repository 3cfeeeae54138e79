"""Conversations, members and per-member settings."""

from __future__ import annotations

from ezchat.domain.errors import InvalidRequest
from ezchat.entry import cursors, serialize
from ezchat.entry.handlers.base import ApiHandler


class ConversationsHandler(ApiHandler):
    async def get(self) -> None:
        cursor = self.get_query_argument("cursor", None) or None
        views, next_key = await self.services.conversations.listing(
            self.user.id, limit=self.limit(), after=cursors.decode(cursor) if cursor else None
        )
        self.reply(
            {
                "conversations": [serialize.conversation(v) for v in views],
                "next_cursor": cursors.encode(next_key) if next_key else None,
            }
        )

    async def post(self) -> None:
        body = self.body()
        kind = body.text("type")
        service = self.services.conversations
        if kind == "direct":
            view, created = await service.open_direct(self.user.id, body.text("user_id"))
            self.reply(serialize.conversation(view), 201 if created else 200)
        elif kind == "group":
            view = await service.create_group(
                self.user.id,
                name=body.text("name"),
                member_ids=body.text_list("member_ids", required=False),
                description=body.optional_text("description"),
                avatar_url=body.optional_text("avatar_url"),
            )
            self.reply(serialize.conversation(view), 201)
        else:
            raise InvalidRequest("type must be 'direct' or 'group'", field="type")


class ConversationHandler(ApiHandler):
    async def get(self, conversation_id: str) -> None:
        view = await self.services.conversations.get(self.user.id, conversation_id)
        self.reply(serialize.conversation(view))

    async def patch(self, conversation_id: str) -> None:
        body = self.body()
        view = await self.services.conversations.update_info(
            self.user.id,
            conversation_id,
            name=body.patch_text("name"),
            description=body.patch_nullable_text("description"),
            avatar_url=body.patch_nullable_text("avatar_url"),
            members_can_pin=body.optional_bool("members_can_pin"),
            retention_days=body.patch_nullable_integer("retention_days", minimum=1),
        )
        self.reply(serialize.conversation(view))

    async def delete(self, conversation_id: str) -> None:
        await self.services.conversations.delete(self.user.id, conversation_id)
        self.no_content()


class MembersHandler(ApiHandler):
    async def post(self, conversation_id: str) -> None:
        body = self.body()
        view = await self.services.members.add_member(
            self.user.id, conversation_id, body.text("user_id"), body.optional_text("role")
        )
        self.reply(serialize.conversation(view))


class MemberHandler(ApiHandler):
    async def delete(self, conversation_id: str, user_id: str) -> None:
        await self.services.members.remove_member(self.user.id, conversation_id, user_id)
        self.no_content()

    async def patch(self, conversation_id: str, user_id: str) -> None:
        role = self.body().text("role")
        view = await self.services.members.set_role(self.user.id, conversation_id, user_id, role)
        self.reply(serialize.conversation(view))


class SettingsHandler(ApiHandler):
    async def put(self, conversation_id: str) -> None:
        body = self.body()
        view = await self.services.members.update_settings(
            self.user.id,
            conversation_id,
            pinned=body.optional_bool("pinned"),
            muted=body.optional_bool("muted"),
            notify=body.optional_text("notify"),
        )
        self.reply(serialize.conversation(view))
