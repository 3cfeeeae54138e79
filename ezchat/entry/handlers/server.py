"""The routes of an app's backend, under /api/server: authenticated by a server key only (a
user's token is refused here, and a key is refused on every other route)."""

from __future__ import annotations

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.unset import UNSET
from ezchat.entry import commands, serialize
from ezchat.entry.handlers.base import ApiHandler


class ServerHandler(ApiHandler):
    requires_auth = False  # not a user's token: a server key, checked here

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "OPTIONS":
            self.key = await self.services.apps.authenticate_key(self._bearer())


class ServerUserHandler(ServerHandler):
    async def put(self, external_id: str) -> None:
        body = self.body()
        display = body.patch_text("display_name")
        avatar = body.patch_nullable_text("avatar_url")
        username = body.patch_text("username")
        user, created = await self.services.apps.provision(
            external_id,
            username=None if username is UNSET else username,
            display_name=None if display is UNSET else display,
            avatar_url=None if avatar is UNSET else avatar,
            avatar_given=avatar is not UNSET,
        )
        self.reply(serialize.user(user), 201 if created else 200)

    async def get(self, external_id: str) -> None:
        self.reply(serialize.user(await self.services.apps.user_of(external_id)))

    async def delete(self, external_id: str) -> None:
        await self.services.apps.disable(external_id)
        self.no_content()


class ServerTokenHandler(ServerHandler):
    async def post(self, external_id: str) -> None:
        # The body is optional here: {} or none at all take the default lifetime.
        ttl = self.body().optional_integer("ttl_s", minimum=1) if self._chunks else UNSET
        token, expires_at = await self.services.apps.issue_token(
            external_id, None if ttl is UNSET else float(ttl)
        )
        self.reply({"token": token, "expires_at": serialize.iso_epoch(expires_at)}, 201)


class ServerConversationsHandler(ServerHandler):
    """A conversation made for the app's users: a direct one between two of them (opened by
    the first), or a group whose first member is its creator and admin."""

    async def post(self) -> None:
        body = self.body()
        kind = body.text("type")
        ids = body.text_list("member_external_ids")
        apps, conversations = self.services.apps, self.services.conversations
        if not ids:
            raise InvalidRequest(
                "member_external_ids must name at least one user", field="member_external_ids"
            )
        users = [await apps.user_of(i) for i in dict.fromkeys(ids)]
        if kind == "direct":
            if len(users) != 2:
                raise InvalidRequest(
                    "a direct conversation has two members", field="member_external_ids"
                )
            view, created = await conversations.open_direct(users[0].id, users[1].id)
            self.reply(serialize.conversation(view), 201 if created else 200)
        elif kind == "group":
            view = await conversations.create_group(
                users[0].id, name=body.text("name"), member_ids=[u.id for u in users[1:]]
            )
            self.reply(serialize.conversation(view), 201)
        else:
            raise InvalidRequest("type must be direct or group", field="type")


class ServerMessagesHandler(ServerHandler):
    """A message sent as one of the app's users (``as``: an external id) or as a bot (its
    username): the same checks, events and notifications as that user's own send."""

    async def post(self, conversation_id: str) -> None:
        body = self.body()
        sender = await self.services.apps.acting_user(body.text("as"))
        command = commands.send_message(body, conversation_id)
        if body.optional_time("send_at") is not None:
            raise InvalidRequest(
                "send_at is for the user's own client; an app schedules in its backend",
                field="send_at",
            )
        message, created = await self.services.messages.send(sender.id, command)
        self.finish_json(serialize.message(message), 201 if created else 200, sender.id)

    def finish_json(self, obj: object, status: int, reader: str) -> None:
        self.set_status(status)
        text = serialize.dumps(obj)
        self.finish(self.services.signer.text(text, reader))  # its files' links, for the sender
