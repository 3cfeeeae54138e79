"""SQLite outbox and push subscriptions. Entries are opened inside the message's own write
transaction (``open_notifications``), so a message stored is a notification queued: one commit,
one fsync, for both."""

from __future__ import annotations

import json
import sqlite3

from ezchat.adapters.codec import notification_in, push_subscription_in, time_out
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.ids import new_id
from ezchat.domain.outbox import Notification, OutboxState, PushSubscription


def open_notifications(conn: sqlite3.Connection, entries: list[Notification]) -> None:
    """Inside a transaction: open each entry, or fold it into the open one of its user and
    conversation."""
    for n in entries:
        conn.execute(
            "INSERT INTO outbox (id, user_id, conversation_id, first_seq, last_seq, count, state,"
            " next_at, created_at) VALUES (?,?,?,?,?,1,'open',?,?)"
            " ON CONFLICT (user_id, conversation_id) WHERE state = 'open' DO UPDATE SET"
            " last_seq = max(last_seq, excluded.last_seq), count = count + 1",
            (n.id, n.user_id, n.conversation_id, n.first_seq, n.last_seq, n.next_at, n.created_at),
        )


def _entry(row: sqlite3.Row) -> Notification:
    return notification_in(row, row["id"])


class SqliteOutboxStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def claim(self, *, now: float, lease_s: float, limit: int) -> list[Notification]:
        def write(conn: sqlite3.Connection) -> list[Notification]:
            with transaction(conn):
                rows = conn.execute(
                    "SELECT id FROM outbox WHERE state != 'dead' AND next_at <= ?"
                    " AND lease_until <= ? ORDER BY next_at LIMIT ?",
                    (now, now, limit),
                ).fetchall()
                claimed = []
                for row in rows:
                    leased = conn.execute(
                        "UPDATE outbox SET state = 'sending', lease_until = ?, lease_token = ?"
                        " WHERE id = ? RETURNING *",
                        (now + lease_s, new_id(), row["id"]),
                    ).fetchone()
                    claimed.append(_entry(leased))
            return claimed

        return await self._db.run(write)

    async def _if_held(self, entry: Notification, sql: str, params: tuple[object, ...]) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    sql + " WHERE id = ? AND lease_token = ?",
                    (*params, entry.id, entry.lease_token),
                )
                return cur.rowcount == 1

        return await self._db.run(write)

    async def finish(self, entry: Notification) -> bool:
        return await self._if_held(entry, "DELETE FROM outbox", ())

    async def retry(
        self, entry: Notification, *, next_at: float, error: str, done: tuple[str, ...]
    ) -> bool:
        return await self._if_held(
            entry,
            "UPDATE outbox SET attempts = attempts + 1, next_at = ?, lease_until = 0,"
            " lease_token = NULL, last_error = ?, done = ?",
            (next_at, error, json.dumps(list(done))),
        )

    async def bury(self, entry: Notification, *, error: str, done: tuple[str, ...]) -> bool:
        return await self._if_held(
            entry,
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, lease_until = 0,"
            " lease_token = NULL, last_error = ?, done = ?",
            (error, json.dumps(list(done))),
        )

    async def counts(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            out = dict.fromkeys((s.value for s in OutboxState), 0)
            for row in conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"):
                out[row[0]] = row[1]
            return out

        return await self._db.run(read)

    async def dead(self, limit: int) -> list[Notification]:
        def read(conn: sqlite3.Connection) -> list[Notification]:
            rows = conn.execute(
                "SELECT * FROM outbox WHERE state = 'dead' ORDER BY created_at LIMIT ?", (limit,)
            ).fetchall()
            return [_entry(r) for r in rows]

        return await self._db.run(read)


class SqlitePushSubscriptionStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def put(self, subscription: PushSubscription, *, keep: int) -> None:
        s = subscription

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM push_subscriptions WHERE endpoint = ?", (s.endpoint,))
                position = conn.execute(
                    "SELECT coalesce(max(position), 0) + 1 FROM push_subscriptions"
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, created_at,"
                    " position, token_id, issued_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        s.endpoint,
                        s.user_id,
                        s.p256dh,
                        s.auth,
                        time_out(s.created_at),
                        position,
                        s.token_id,
                        s.issued_at,
                    ),
                )
                conn.execute(
                    "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint NOT IN"
                    " (SELECT endpoint FROM push_subscriptions WHERE user_id = ?"
                    " ORDER BY position DESC LIMIT ?)",
                    (s.user_id, s.user_id, keep),
                )

        await self._db.run(write)

    async def remove(self, user_id: str, endpoint: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?",
                    (user_id, endpoint),
                )
                return cur.rowcount == 1

        return await self._db.run(write)

    async def remove_endpoint(self, endpoint: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM push_subscriptions WHERE endpoint = ?", (endpoint,))

        await self._db.run(write)

    async def for_user(self, user_id: str) -> list[PushSubscription]:
        def read(conn: sqlite3.Connection) -> list[PushSubscription]:
            rows = conn.execute(
                "SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY position", (user_id,)
            ).fetchall()
            return [push_subscription_in(r, r["endpoint"]) for r in rows]

        return await self._db.run(read)
