"""Deleting an account, by its owner (with their password) or by a server admin.

At once: every token stops (through the revocation feed, in every process, sockets included),
push subscriptions and contacts (both sides) go, the user leaves every group (their direct
conversations stay for the other side), and the profile becomes "Deleted user". Messages stay,
text kept, shown as from "Deleted user", unless ``erase`` (ERASE_ON_DELETE): then every
message they sent becomes a tombstone and the files they uploaded go (services/sweeping.py),
before the account is marked deleted, so a delete cut short is done again in full by asking
again. The account is kept as a record, disabled for good:
it can never be logged into or enabled again, and its id is never given to anyone else.

The username is held for DELETED_USERNAME_HOLD_DAYS, then the next registration of it takes
it (AuthService)."""

from __future__ import annotations

import logging

from ezchat.domain.access import AccessChange
from ezchat.domain.errors import Conflict, EzChatError, NotFound, Unauthorized
from ezchat.domain.model import ConversationType
from ezchat.ports.clock import Clock
from ezchat.ports.security import PasswordHasher
from ezchat.ports.storage import ContactStore, ConversationStore, PushSubscriptionStore, UserStore
from ezchat.services.access import AccessService
from ezchat.services.admin import AdminService
from ezchat.services.contacts import ContactService
from ezchat.services.exports import ExportService
from ezchat.services.members import MemberService
from ezchat.services.sweeping import MessageSweeper
from ezchat.services.users import UserService

log = logging.getLogger(__name__)

DELETED_NAME = "Deleted user"


class AccountDeletion:
    def __init__(
        self,
        *,
        users: UserStore,
        profiles: UserService,
        hasher: PasswordHasher,
        access: AccessService,
        contacts: ContactService,
        contact_store: ContactStore,
        push: PushSubscriptionStore,
        conversations: ConversationStore,
        members: MemberService,
        admin: AdminService,
        clock: Clock,
        sweeper: MessageSweeper | None = None,
        exports: ExportService | None = None,
    ) -> None:
        self._users = users
        self._profiles = profiles
        self._hasher = hasher
        self._access = access
        self._contacts = contacts
        self._contact_store = contact_store
        self._push = push
        self._conversations = conversations
        self._members = members
        self._admin = admin
        self._clock = clock
        self._sweeper = sweeper  # set: erase the messages (ERASE_ON_DELETE)
        self._exports = exports

    async def delete_own(self, caller: str, password: str) -> None:
        credentials = await self._users.credentials(caller)
        if credentials is None or not await self._hasher.verify(
            password, credentials.password_hash
        ):
            raise Unauthorized("the password is wrong")
        await self._delete(caller, actor=caller)

    async def delete_by_admin(self, caller: str, user_id: str) -> None:
        await self._admin.require_admin(caller)
        await self._delete(user_id, actor=caller)

    async def _delete(self, user_id: str, *, actor: str) -> None:
        user = await self._users.get(user_id) if len(user_id) <= 64 else None
        if user is None or user.deleted_at is not None:
            raise NotFound("user not found")
        if user.admin and not await self._another_admin(user_id):
            raise Conflict("the last server admin cannot be deleted; promote another first")
        await self._access.set_disabled(user_id, True)  # every token and socket, at once
        # Renamed while contacts and groups still hear of it (their views show the new name).
        await self._profiles.update_profile(user_id, display_name=DELETED_NAME, avatar_url=None)
        for subscription in await self._push.for_user(user_id):
            await self._push.remove(user_id, subscription.endpoint)
        if self._exports is not None:  # their exports go with them
            for export in await self._exports.mine(user_id):
                await self._exports.delete(user_id, export.id)
        for contact in await self._contact_store.list(user_id):
            await self._contacts.forget(user_id, contact.user_id)
        for conversation_id in await self._conversations.ids_for_user(user_id):
            conv = await self._conversations.get(conversation_id)
            if conv is None or conv.type is not ConversationType.GROUP:
                continue
            try:
                await self._members.remove_member(user_id, conversation_id, user_id)
            except EzChatError as exc:  # gone meanwhile: nothing to leave
                log.info("deleting %s: leaving %s: %s", user_id, conversation_id, exc.message)
        # Last, as it may take a while; the account is marked deleted only after it, so that
        # asking again finishes a delete that was cut short.
        erased = 0 if self._sweeper is None else await self._sweeper.erase_sender(user_id)
        now = self._clock.now().timestamp()
        await self._users.set_access(user_id, AccessChange(deleted_at=now, admin=False))
        detail = user.username + (f" ({erased} messages erased)" if self._sweeper else "")
        await self._admin.audit.record(actor, "account.delete", user_id, detail)

    async def _another_admin(self, user_id: str) -> bool:
        after = ""
        while True:
            page = await self._users.search("", 500, after=after)
            if any(u.admin and u.id != user_id and u.deleted_at is None for u in page):
                return True
            if len(page) < 500:
                return False
            after = page[-1].username
