"""Auth, profiles, user search and contacts."""

from __future__ import annotations

from ezchat.domain.model import Contact, User
from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler


class RegisterHandler(ApiHandler):
    requires_auth = False

    async def post(self) -> None:
        body = self.body()
        user, token = await self.services.registration.register(
            body.text("username"),
            body.text("password"),
            body.optional_text("display_name"),
            invite=body.optional_text("invite"),
            client=self.request.remote_ip or "",
        )
        self.reply({"user": serialize.me(user), "token": token}, 201)


class LoginHandler(ApiHandler):
    requires_auth = False

    async def post(self) -> None:
        body = self.body()
        user, token = await self.services.auth.login(
            body.text("username"), body.text("password"), client=self.request.remote_ip or ""
        )
        self.reply({"user": serialize.me(user), "token": token})


class TicketHandler(ApiHandler):
    async def post(self) -> None:
        """A one-time ticket to open /ws with (?ticket=), for browsers, which cannot set a
        header on a WebSocket and should not put a 30-day token in a URL."""
        assert self.session is not None
        ticket, ttl = self.services.auth.issue_ticket(self.session)
        self.reply({"ticket": ticket, "expires_in": ttl}, 201)


class LogoutHandler(ApiHandler):
    async def post(self) -> None:
        assert self.session is not None
        await self.services.access.logout(self.session)
        self.no_content()


class LogoutAllHandler(ApiHandler):
    async def post(self) -> None:
        await self.services.access.logout_all(self.user.id)
        self.no_content()


class PasswordHandler(ApiHandler):
    async def put(self) -> None:
        body = self.body()
        assert self.session is not None
        await self.services.access.change_password(
            self.session, body.text("current_password"), body.text("new_password")
        )
        self.no_content()


class MeHandler(ApiHandler):
    async def get(self) -> None:
        self.reply(serialize.me(self.user))

    async def patch(self) -> None:
        body = self.body()
        user = await self.services.users.update_profile(
            self.user.id,
            display_name=body.patch_nullable_text("display_name"),
            avatar_url=body.patch_nullable_text("avatar_url"),
        )
        self.reply(serialize.me(user))

    async def delete(self) -> None:
        await self.services.deletion.delete_own(self.user.id, self.body().text("password"))
        self.no_content()


class PeopleHandler(ApiHandler):
    """Answers that show other users: their presence only to whom it is shared with."""

    async def shown(self, users: list[User]) -> list[User]:
        return await self.services.users.as_seen_by(self.user.id, users)

    async def reply_contact(self, contact: Contact, other: User, status: int = 200) -> None:
        (shown,) = await self.shown([other])
        self.reply(serialize.contact(contact, shown), status)


class UserHandler(PeopleHandler):
    async def get(self, user_id: str) -> None:
        (user,) = await self.shown([await self.services.users.get(user_id)])
        self.reply(serialize.user(user))


class UserSearchHandler(PeopleHandler):
    async def get(self) -> None:
        q = self.get_query_argument("q", "")
        users = await self.shown(await self.services.users.search(q, self.limit()))
        self.reply({"users": [serialize.user(u) for u in users]})


class ContactsHandler(PeopleHandler):
    async def get(self) -> None:
        contacts = await self.services.contacts.list(self.user.id)
        users = await self.shown([u for _, u in contacts])
        self.reply(
            {
                "contacts": [
                    serialize.contact(c, u) for (c, _), u in zip(contacts, users, strict=True)
                ]
            }
        )

    async def post(self) -> None:
        user_id = self.body().text("user_id")
        contact, other, created = await self.services.contacts.request(self.user.id, user_id)
        await self.reply_contact(contact, other, 201 if created else 200)


class ContactAcceptHandler(PeopleHandler):
    async def post(self, user_id: str) -> None:
        contact, other = await self.services.contacts.accept(self.user.id, user_id)
        await self.reply_contact(contact, other)


class ContactBlockHandler(PeopleHandler):
    async def post(self, user_id: str) -> None:
        contact, other = await self.services.contacts.block(self.user.id, user_id)
        await self.reply_contact(contact, other)


class ContactHandler(ApiHandler):
    async def delete(self, user_id: str) -> None:
        await self.services.contacts.remove(self.user.id, user_id)
        self.no_content()
