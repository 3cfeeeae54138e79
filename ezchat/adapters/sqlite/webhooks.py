"""SQLite webhooks: the app's event webhooks with their deliveries, and incoming webhooks."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.webhooks import Delivery, DeliveryState, IncomingHook, Webhook

_DELIVERY = (
    "position, webhook_id, event_id, event_type, grp, body, created_at, state, attempts,"
    " next_at, lease_until, lease_token, last_status, last_error, finished_at"
)


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        events=tuple(json.loads(row["events"])),
        secret=row["secret"],
        created_at=row["created_at"],
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        webhook_id=row["webhook_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        group=row["grp"],
        body=row["body"],
        created_at=row["created_at"],
        position=row["position"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        next_at=row["next_at"],
        lease_until=row["lease_until"],
        lease_token=row["lease_token"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        finished_at=row["finished_at"],
    )


class SqliteWebhookStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, webhook: Webhook) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?,?,?,?,?)",
                    (
                        webhook.id,
                        webhook.url,
                        json.dumps(list(webhook.events)),
                        webhook.secret,
                        webhook.created_at,
                    ),
                )

        await self._db.run(write)

    async def all(self) -> list[Webhook]:
        def read(conn: sqlite3.Connection) -> list[Webhook]:
            rows = conn.execute("SELECT * FROM webhooks ORDER BY created_at, id")
            return [_webhook(r) for r in rows]

        return await self._db.run(read)

    async def remove(self, webhook_id: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", (webhook_id,))
                return conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

        return await self._db.run(write)

    async def record(self, deliveries: list[Delivery]) -> None:
        rows = [
            (d.webhook_id, d.event_id, d.event_type, d.group, d.body, d.created_at, d.next_at)
            for d in deliveries
        ]

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                # A webhook removed meanwhile gets nothing (the join finds no row).
                conn.executemany(
                    "INSERT OR IGNORE INTO webhook_deliveries (webhook_id, event_id, event_type,"
                    " grp, body, created_at, state, attempts, next_at, lease_until)"
                    " SELECT id, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, 0 FROM webhooks"
                    " WHERE id = ?1",
                    rows,
                )

        if rows:
            await self._db.run(write)

    async def claimable(self, *, now: float, limit: int) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                f"SELECT {_DELIVERY} FROM webhook_deliveries d"
                " WHERE state = 'pending' AND next_at <= ?1 AND lease_until <= ?1"
                " AND position = (SELECT MIN(position) FROM webhook_deliveries e"
                "  WHERE e.webhook_id = d.webhook_id AND e.grp = d.grp AND e.state = 'pending')"
                " ORDER BY position LIMIT ?2",
                (now, limit),
            )
            return [_delivery(r) for r in rows]

        return await self._db.run(read)

    async def lease(self, delivery: Delivery, *, until: float, token: str) -> Delivery | None:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE webhook_deliveries SET lease_until = ?, lease_token = ?"
                    " WHERE position = ? AND state = 'pending' AND lease_token IS ?",
                    (until, token, delivery.position, delivery.lease_token),
                )
                return cur.rowcount > 0

        if not await self._db.run(write):
            return None
        return _with_lease(delivery, until, token)

    async def settle(self, delivery: Delivery) -> bool:
        d = delivery

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?,"
                    " last_status = ?, last_error = ?, finished_at = ?, lease_until = 0,"
                    " lease_token = NULL WHERE position = ? AND lease_token IS ?",
                    (
                        d.state.value,
                        d.attempts,
                        d.next_at,
                        d.last_status,
                        d.last_error,
                        d.finished_at,
                        d.position,
                        d.lease_token,
                    ),
                )
                return cur.rowcount > 0

        return await self._db.run(write)

    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE webhook_id = ?"
                " ORDER BY position DESC LIMIT ?",
                (webhook_id, limit),
            )
            return [_delivery(r) for r in rows]

        return await self._db.run(read)

    async def prune(self, *, before: float) -> int:
        def write(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return conn.execute(
                    "DELETE FROM webhook_deliveries WHERE state = 'delivered' AND finished_at < ?",
                    (before,),
                ).rowcount

        return await self._db.run(write)


def _with_lease(d: Delivery, until: float, token: str) -> Delivery:
    return replace(d, lease_until=until, lease_token=token)


def _hook(row: sqlite3.Row) -> IncomingHook:
    return IncomingHook(
        id=row["id"],
        conversation_id=row["conversation_id"],
        name=row["name"],
        token_hash=row["token_hash"],
        bot_id=row["bot_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


class SqliteIncomingHookStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, hook: IncomingHook) -> None:
        h = hook

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO incoming_hooks (id, conversation_id, name, token_hash, bot_id,"
                    " created_by, created_at) VALUES (?,?,?,?,?,?,?)",
                    (
                        h.id,
                        h.conversation_id,
                        h.name,
                        h.token_hash,
                        h.bot_id,
                        h.created_by,
                        h.created_at,
                    ),
                )

        await self._db.run(write)

    async def by_token_hash(self, token_hash: str) -> IncomingHook | None:
        def read(conn: sqlite3.Connection) -> IncomingHook | None:
            row = conn.execute(
                "SELECT * FROM incoming_hooks WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            return _hook(row) if row else None

        return await self._db.run(read)

    async def for_conversation(self, conversation_id: str) -> list[IncomingHook]:
        def read(conn: sqlite3.Connection) -> list[IncomingHook]:
            rows = conn.execute(
                "SELECT * FROM incoming_hooks WHERE conversation_id = ? ORDER BY created_at, id",
                (conversation_id,),
            )
            return [_hook(r) for r in rows]

        return await self._db.run(read)

    async def remove(self, hook_id: str) -> IncomingHook | None:
        def write(conn: sqlite3.Connection) -> IncomingHook | None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT * FROM incoming_hooks WHERE id = ?", (hook_id,)
                ).fetchone()
                if row is None:
                    return None
                conn.execute("DELETE FROM incoming_hooks WHERE id = ?", (hook_id,))
                return _hook(row)

        return await self._db.run(write)
