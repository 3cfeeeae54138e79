"""Delivering the notification outbox: each due entry is checked against the rules again (the
user may have read, muted or left since it was queued, the messages may be deleted), then sent
on every channel; failures are retried with backoff until the attempts run out.

Delivery is at least once: an entry is removed only after every target took it, so a crash
between a send and the removal sends it again after the lease runs out (with the same id)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ezchat.domain.backoff import backoff_delay
from ezchat.domain.messages import Message
from ezchat.domain.model import ContactState, Conversation, ConversationType, Member, NotifyLevel
from ezchat.domain.notify import Notice, level_of, wants
from ezchat.domain.outbox import Notification
from ezchat.domain.rules import MAX_PAGE
from ezchat.ports.clock import Clock
from ezchat.ports.notify import Channel, Outcome
from ezchat.ports.storage import (
    ContactStore,
    ConversationStore,
    MessageStore,
    OutboxStore,
    UserStore,
)

log = logging.getLogger("ezchat.notify")

# Messages looked through for the newest one to show, a page at a time.
MAX_SCANNED = 1000
PAGE = MAX_PAGE
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class DeliveryPolicy:
    lease_s: float = 60.0  # longer than the slowest channel's timeout
    max_attempts: int = 8
    retry_base_s: float = 2.0  # the first retry comes after 1-2 s
    retry_cap_s: float = 300.0
    batch: int = 50  # entries claimed at once


class Result(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # nothing left to tell: read, deleted, muted since, left
    RETRY = "retry"
    DEAD = "dead"
    LOST = "lost"  # the lease ran out before the outcome was written: another worker has it


class NotificationService:
    def __init__(
        self,
        *,
        outbox: OutboxStore,
        conversations: ConversationStore,
        messages: MessageStore,
        users: UserStore,
        contacts: ContactStore,
        channels: Sequence[Channel],
        clock: Clock,
        policy: DeliveryPolicy,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._outbox = outbox
        self._conversations = conversations
        self._messages = messages
        self._users = users
        self._contacts = contacts
        self._channels = list(channels)
        self._clock = clock
        self.policy = policy
        self._rand = rand

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def claim(self, limit: int | None = None) -> list[Notification]:
        """The entries due now (at most ``limit``, else a batch), leased to this worker."""
        p = self.policy
        most = p.batch if limit is None else min(limit, p.batch)
        return await self._outbox.claim(now=self._now(), lease_s=p.lease_s, limit=most)

    async def notice(self, entry: Notification) -> Notice | None:
        """What to tell the user now, or None when nothing is left to tell. The count is of
        every message still unread that the user's level lets through (the entry only says
        from where: messages that came after it opened joined it without a write)."""
        conv = await self._conversations.get(entry.conversation_id)
        member = conv.member(entry.user_id) if conv is not None else None
        if conv is None or member is None:
            return None
        level = level_of(member, conv.type)
        user = await self._users.get(entry.user_id)
        if level is NotifyLevel.NONE or user is None or user.disabled:
            return None
        if conv.type is ConversationType.DIRECT and await self._blocked_either_way(conv, user.id):
            return None  # a block silences the conversation, notifications included
        after = max(entry.first_seq - 1, member.read_seq)
        mentions = await self._messages.count_mentions(conv.id, entry.user_id, after)
        if level is NotifyLevel.ALL and not member.muted:
            count = await self._messages.count_unread(conv.id, entry.user_id, after)
        else:
            count = mentions
        latest = await self._latest(conv, member, after) if count else None
        if latest is None:
            return None
        return Notice(
            id=entry.id,
            user_id=entry.user_id,
            conversation=conv,
            count=count,
            mentioned=mentions > 0,
            message=latest,
            sender=await self._users.get(latest.sender_id),
        )

    async def _latest(self, conv: Conversation, member: Member, after: int) -> Message | None:
        """The newest message above ``after`` the member is to be told of, looking back
        through at most ``MAX_SCANNED`` messages (the first page is the cached newest one)."""
        before: int | None = None
        for _ in range(MAX_SCANNED // PAGE):
            page, more = await self._messages.page(conv.id, before=before, after=None, limit=PAGE)
            for m in reversed(page):
                if m.seq <= after:
                    return None
                if wants(member, conv.type, m) and not await self._contacts_blocked(
                    member.user_id, m.sender_id
                ):
                    return m
            if not more or not page:
                return None
            before = page[0].seq
        return None

    async def _contacts_blocked(self, owner_id: str, sender_id: str) -> bool:
        """Whether ``owner_id`` has blocked ``sender_id`` (their messages are not told)."""
        contact = await self._contacts.get(owner_id, sender_id)
        return contact is not None and contact.state is ContactState.BLOCKED

    async def _blocked_either_way(self, conv: Conversation, user_id: str) -> bool:
        other = next((m.user_id for m in conv.members if m.user_id != user_id), None)
        if other is None:
            return False
        pair = await self._contacts.pair(user_id, other)
        return any(
            c is not None and c.state is ContactState.BLOCKED for c in (pair.mine, pair.theirs)
        )

    async def deliver(self, entry: Notification) -> Result:
        """Send one claimed entry and write down how it went."""
        notice = await self.notice(entry)
        if notice is None:
            return Result.SKIPPED if await self._outbox.finish(entry) else Result.LOST
        outcomes = [
            o
            for found in await asyncio.gather(
                *(c.deliver(notice, entry.done) for c in self._channels)
            )
            for o in found
        ]
        failed = [o for o in outcomes if not o.ok]
        if not failed:
            sent = Result.SENT if outcomes else Result.SKIPPED  # no target: no device, no hook
            return sent if await self._outbox.finish(entry) else Result.LOST
        # A target that refused for good is not tried again: it joins the done ones.
        done = entry.done + tuple(o.key for o in outcomes if o.ok or o.permanent)
        error = "; ".join(f"{o.key}: {o.error}" for o in failed)[:MAX_ERROR_CHARS]
        for o in failed:
            if o.permanent:
                log.warning("notification %s refused by %s: %s", entry.id, o.key, o.error)
        retryable = [o for o in failed if not o.permanent]
        attempts = entry.attempts + 1
        if not retryable or attempts >= self.policy.max_attempts:
            log.warning("notification %s given up after %d attempts: %s", entry.id, attempts, error)
            written = await self._outbox.bury(entry, error=error, done=done)
            return Result.DEAD if written else Result.LOST
        delay = self._delay(attempts, retryable)
        written = await self._outbox.retry(
            entry, next_at=self._now() + delay, error=error, done=done
        )
        return Result.RETRY if written else Result.LOST

    def _delay(self, attempts: int, failed: list[Outcome]) -> float:
        p = self.policy
        # Equal jitter: at least half the exponential step, so a retry never comes at once.
        delay = backoff_delay(
            attempt=attempts - 1,
            base_s=p.retry_base_s,
            cap_s=p.retry_cap_s,
            rand=0.5 + self._rand() / 2,
        )
        asked = max((o.retry_after_s or 0.0 for o in failed), default=0.0)
        return max(delay, min(asked, p.retry_cap_s))
