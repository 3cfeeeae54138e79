"""Profiles and user search."""

from __future__ import annotations

from dataclasses import replace

from ezchat.domain import rules
from ezchat.domain.errors import InvalidRequest, NotFound
from ezchat.domain.events import UserUpdated
from ezchat.domain.model import ContactState, Presence, User
from ezchat.domain.unset import UNSET, Unset
from ezchat.ports.bus import EventBus
from ezchat.ports.storage import ContactStore, ConversationStore, UserStore


class UserService:
    def __init__(
        self,
        *,
        users: UserStore,
        contacts: ContactStore,
        conversations: ConversationStore,
        bus: EventBus,
        large_group_members: int = rules.Limits.large_group_members,
    ) -> None:
        self._large = large_group_members
        self._users = users
        self._contacts = contacts
        self._conversations = conversations
        self._bus = bus

    async def get(self, user_id: str) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise NotFound("user not found")
        return user

    async def update_profile(
        self,
        user_id: str,
        *,
        display_name: str | None | Unset = UNSET,
        avatar_url: str | None | Unset = UNSET,
    ) -> User:
        user = await self.get(user_id)
        changes: dict[str, object] = {}
        if display_name is not UNSET:
            if display_name is None:
                raise InvalidRequest("display_name must not be null", field="display_name")
            changes["display_name"] = rules.text_field(
                display_name, "display_name", min_len=1, max_len=64
            )
        if avatar_url is not UNSET:
            changes["avatar_url"] = rules.url(avatar_url, "avatar_url")
        updated = replace(user, **changes)  # type: ignore[arg-type]
        if updated != user:
            await self._users.update(updated)
            await self.changed(updated)
        return updated

    async def changed(self, user: User) -> None:
        """Tell who may see the user of their changed profile."""
        await self._bus.publish(UserUpdated(recipients=await self.audience(user.id), user=user))

    async def search(self, query: str, limit: int) -> list[User]:
        prefix = query.strip()
        if not 1 <= len(prefix) <= 64:
            raise InvalidRequest("q must be 1-64 characters", field="q")
        return await self._users.search(prefix, limit)

    async def as_seen_by(self, viewer: str, users: list[User]) -> list[User]:
        """``users`` as ``viewer`` may see them: presence (status, last_seen) only of users
        whose presence events reach the viewer (the audience, which is symmetric); others show
        ``offline`` with no last_seen, as if they never shared it."""
        if all(u.id == viewer for u in users):
            return users
        related = await self.audience(viewer)
        return [
            u if u.id in related else replace(u, status=Presence.OFFLINE, last_seen=None)
            for u in users
        ]

    async def audience(self, user_id: str) -> frozenset[str]:
        """Who may see this user's profile changes and presence: the user, accepted contacts,
        and everyone sharing a conversation."""
        return await self._related(user_id, large_groups=True)

    async def presence_audience(self, user_id: str) -> frozenset[str]:
        """Who is told of this user's presence as it changes: the audience but for those who
        share only large groups with the user (they see it in REST ``User`` objects). Each
        member of a group of 10,000 coming online would otherwise cost 10,000 frames."""
        return await self._related(user_id, large_groups=False)

    async def _related(self, user_id: str, *, large_groups: bool) -> frozenset[str]:
        ids = {user_id}
        for c in await self._contacts.list(user_id):
            if c.state is ContactState.ACCEPTED:
                ids.add(c.user_id)
        for conv in await self._conversations.list_for_user(user_id):
            if large_groups or not conv.is_large(self._large):
                ids.update(conv.member_ids)
        return frozenset(ids)
