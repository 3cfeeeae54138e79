"""Contacts and blocks. Each side of a relation is stored as its owner sees it."""

from __future__ import annotations

from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import ContactChanged
from ezchat.domain.model import Contact, ContactState, User
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ContactStore, UserStore

A = ContactState


class ContactService:
    def __init__(
        self, *, users: UserStore, contacts: ContactStore, bus: EventBus, clock: Clock
    ) -> None:
        self._users = users
        self._contacts = contacts
        self._bus = bus
        self._clock = clock

    async def list(self, owner_id: str) -> list[tuple[Contact, User]]:
        contacts = await self._contacts.list(owner_id)
        users = await self._users.get_many([c.user_id for c in contacts])
        return [(c, users[c.user_id]) for c in contacts if c.user_id in users]

    async def is_blocked(self, a: str, b: str) -> bool:
        """Whether either of the two has blocked the other."""
        mine = await self._contacts.get(a, b)
        theirs = await self._contacts.get(b, a)
        return any(c is not None and c.state is A.BLOCKED for c in (mine, theirs))

    async def has_blocked(self, owner_id: str, user_id: str) -> bool:
        c = await self._contacts.get(owner_id, user_id)
        return c is not None and c.state is A.BLOCKED

    async def request(self, owner_id: str, user_id: str) -> tuple[Contact, User, bool]:
        """Ask ``user_id`` to be a contact. Returns (contact, user, created): a new outgoing
        request is created; an incoming request from that user is accepted on both sides."""
        other = await self._other(owner_id, user_id)
        mine = await self._contacts.get(owner_id, user_id)
        if mine is not None and mine.state is A.BLOCKED:
            raise Conflict("you have blocked this user; unblock them first")
        if await self.has_blocked(user_id, owner_id):
            raise Forbidden("this user does not accept contact requests from you")
        if mine is not None and mine.state is A.INCOMING:
            return await self._accept_both(owner_id, user_id), other, False
        if mine is not None:  # outgoing already, or accepted: nothing changes
            return mine, other, False
        now = self._clock.now()
        mine = Contact(owner_id=owner_id, user_id=user_id, state=A.OUTGOING, since=now)
        theirs = Contact(owner_id=user_id, user_id=owner_id, state=A.INCOMING, since=now)
        await self._put(mine)
        await self._put(theirs)
        return mine, other, True

    async def accept(self, owner_id: str, user_id: str) -> tuple[Contact, User]:
        other = await self._other(owner_id, user_id)
        mine = await self._contacts.get(owner_id, user_id)
        if mine is not None and mine.state is A.ACCEPTED:
            return mine, other
        if mine is None or mine.state is not A.INCOMING:
            raise NotFound("no contact request from this user")
        return await self._accept_both(owner_id, user_id), other

    async def block(self, owner_id: str, user_id: str) -> tuple[Contact, User]:
        """Block a user: the relation ends on both sides and only the block remains."""
        other = await self._other(owner_id, user_id)
        mine = await self._contacts.get(owner_id, user_id)
        if mine is not None and mine.state is A.BLOCKED:
            return mine, other
        blocked = Contact(
            owner_id=owner_id, user_id=user_id, state=A.BLOCKED, since=self._clock.now()
        )
        await self._put(blocked)
        theirs = await self._contacts.get(user_id, owner_id)
        if theirs is not None and theirs.state is not A.BLOCKED:
            await self._drop(user_id, owner_id)
        return blocked, other

    async def remove(self, owner_id: str, user_id: str) -> None:
        """Remove a contact, cancel or decline a request, or lift a block."""
        mine = await self._contacts.get(owner_id, user_id)
        if mine is None:
            raise NotFound("no contact with this user")
        await self._drop(owner_id, user_id)
        if mine.state is not A.BLOCKED:
            theirs = await self._contacts.get(user_id, owner_id)
            if theirs is not None and theirs.state is not A.BLOCKED:
                await self._drop(user_id, owner_id)

    async def _other(self, owner_id: str, user_id: str) -> User:
        if owner_id == user_id:
            raise InvalidRequest("cannot be your own contact", field="user_id")
        other = await self._users.get(user_id)
        if other is None:
            raise NotFound("user not found")
        return other

    async def _accept_both(self, owner_id: str, user_id: str) -> Contact:
        now = self._clock.now()
        mine = Contact(owner_id=owner_id, user_id=user_id, state=A.ACCEPTED, since=now)
        await self._put(mine)
        await self._put(Contact(owner_id=user_id, user_id=owner_id, state=A.ACCEPTED, since=now))
        return mine

    async def _put(self, contact: Contact) -> None:
        await self._contacts.put(contact)
        await self._bus.publish(
            ContactChanged(
                recipients=frozenset({contact.owner_id}),
                owner_id=contact.owner_id,
                user_id=contact.user_id,
                contact=contact,
            )
        )

    async def _drop(self, owner_id: str, user_id: str) -> None:
        await self._contacts.remove(owner_id, user_id)
        await self._bus.publish(
            ContactChanged(
                recipients=frozenset({owner_id}), owner_id=owner_id, user_id=user_id, contact=None
            )
        )
