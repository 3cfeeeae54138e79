"""Memory outbox and push subscriptions: the reference behaviour (the process is the store, so
nothing outlives it)."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.ids import new_id
from ezchat.domain.outbox import Notification, OutboxState, PushSubscription


def open_notifications(db: MemoryDatabase, entries: list[Notification]) -> None:
    """Open each entry, or fold it into the open one of its user and conversation."""
    for entry in entries:
        key = (entry.user_id, entry.conversation_id)
        current = db.outbox.get(db.open_outbox.get(key, ""))
        if current is not None and current.state is OutboxState.OPEN:
            db.outbox[current.id] = replace(
                current, last_seq=max(current.last_seq, entry.last_seq), count=current.count + 1
            )
        else:
            db.outbox[entry.id] = entry
            db.open_outbox[key] = entry.id


class MemoryOutboxStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def claim(self, *, now: float, lease_s: float, limit: int) -> list[Notification]:
        due = sorted(
            (
                n
                for n in self._db.outbox.values()
                if n.state is not OutboxState.DEAD and n.next_at <= now and n.lease_until <= now
            ),
            key=lambda n: n.next_at,
        )[:limit]
        claimed = []
        for n in due:
            leased = replace(
                n, state=OutboxState.SENDING, lease_until=now + lease_s, lease_token=new_id()
            )
            self._db.outbox[n.id] = leased
            claimed.append(leased)
        return claimed

    def _held(self, entry: Notification) -> bool:
        current = self._db.outbox.get(entry.id)
        return current is not None and current.lease_token == entry.lease_token

    async def finish(self, entry: Notification) -> bool:
        if not self._held(entry):
            return False
        del self._db.outbox[entry.id]
        return True

    async def retry(
        self, entry: Notification, *, next_at: float, error: str, done: tuple[str, ...]
    ) -> bool:
        if not self._held(entry):
            return False
        self._db.outbox[entry.id] = replace(
            entry,
            attempts=entry.attempts + 1,
            next_at=next_at,
            lease_until=0.0,
            lease_token=None,
            last_error=error,
            done=done,
        )
        return True

    async def bury(self, entry: Notification, *, error: str, done: tuple[str, ...]) -> bool:
        if not self._held(entry):
            return False
        self._db.outbox[entry.id] = replace(
            entry,
            state=OutboxState.DEAD,
            attempts=entry.attempts + 1,
            lease_until=0.0,
            lease_token=None,
            last_error=error,
            done=done,
        )
        return True

    async def counts(self) -> dict[str, int]:
        out = dict.fromkeys((s.value for s in OutboxState), 0)
        for n in self._db.outbox.values():
            out[n.state.value] += 1
        return out

    async def dead(self, limit: int) -> list[Notification]:
        dead = [n for n in self._db.outbox.values() if n.state is OutboxState.DEAD]
        return sorted(dead, key=lambda n: n.created_at)[:limit]


class MemoryPushSubscriptionStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def put(self, subscription: PushSubscription, *, keep: int) -> None:
        subs = self._db.push
        subs.pop(subscription.endpoint, None)
        subs[subscription.endpoint] = subscription
        mine = [s for s in subs.values() if s.user_id == subscription.user_id]
        for old in mine[: max(0, len(mine) - keep)]:
            del subs[old.endpoint]

    async def remove(self, user_id: str, endpoint: str) -> bool:
        sub = self._db.push.get(endpoint)
        if sub is None or sub.user_id != user_id:
            return False
        del self._db.push[endpoint]
        return True

    async def remove_endpoint(self, endpoint: str) -> None:
        self._db.push.pop(endpoint, None)

    async def for_user(self, user_id: str) -> list[PushSubscription]:
        return [s for s in self._db.push.values() if s.user_id == user_id]
