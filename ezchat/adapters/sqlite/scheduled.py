"""SQLite scheduled messages: one row each; every change a conditional UPDATE on version."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.codec_records import scheduled_in, scheduled_out
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.scheduled import Scheduled

_COLUMNS = (
    "id", "user_id", "conversation_id", "client_id", "text", "attachments", "reply_to",
    "send_at", "created_at", "state", "error", "due_at", "attempts", "lease_until",
    "lease_token", "version",
)  # fmt: skip


class SqliteScheduledStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, item: Scheduled) -> Scheduled:
        row = scheduled_out(item)

        def write(conn: sqlite3.Connection) -> Scheduled:
            with transaction(conn):
                conn.execute(
                    f"INSERT INTO scheduled ({', '.join(_COLUMNS)}) VALUES"
                    f" ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (user_id, client_id)"
                    " DO NOTHING",
                    tuple(row[c] for c in _COLUMNS),
                )
                found = conn.execute(
                    "SELECT * FROM scheduled WHERE user_id = ? AND client_id = ?",
                    (item.user_id, item.client_id),
                ).fetchone()
            return scheduled_in(found)

        return await self._db.run(write)

    async def get(self, item_id: str) -> Scheduled | None:
        def read(conn: sqlite3.Connection) -> Scheduled | None:
            row = conn.execute("SELECT * FROM scheduled WHERE id = ?", (item_id,)).fetchone()
            return scheduled_in(row) if row else None

        return await self._db.run(read)

    async def for_user(self, user_id: str) -> list[Scheduled]:
        def read(conn: sqlite3.Connection) -> list[Scheduled]:
            rows = conn.execute(
                "SELECT * FROM scheduled WHERE user_id = ? ORDER BY send_at, id", (user_id,)
            )
            return [scheduled_in(r) for r in rows]

        return await self._db.run(read)

    async def count_for_user(self, user_id: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT count(*) FROM scheduled WHERE user_id = ?", (user_id,))
            return int(row.fetchone()[0])

        return await self._db.run(read)

    async def due(self, *, now: float, limit: int) -> list[Scheduled]:
        def read(conn: sqlite3.Connection) -> list[Scheduled]:
            rows = conn.execute(
                "SELECT * FROM scheduled WHERE (state = 'pending' AND due_at <= ?)"
                " OR (state = 'sending' AND lease_until <= ?) ORDER BY due_at, id LIMIT ?",
                (now, now, limit),
            )
            return [scheduled_in(r) for r in rows]

        return await self._db.run(read)

    async def swap(self, item: Scheduled, *, expected_version: int) -> bool:
        row = scheduled_out(item)
        row["version"] = expected_version + 1
        changed = [c for c in _COLUMNS if c != "id"]

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    f"UPDATE scheduled SET {', '.join(f'{c} = ?' for c in changed)}"
                    " WHERE id = ? AND version = ?",
                    (*(row[c] for c in changed), item.id, expected_version),
                )
            return cur.rowcount == 1

        return await self._db.run(write)

    async def remove(self, item_id: str, *, expected_version: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM scheduled WHERE id = ? AND version = ?",
                    (item_id, expected_version),
                )
            return cur.rowcount == 1

        return await self._db.run(write)
