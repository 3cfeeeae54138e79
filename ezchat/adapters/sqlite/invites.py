"""SQLite invites: a use is one conditional UPDATE (left > 0, not expired)."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.invites import Invite


def _invite(row: sqlite3.Row) -> Invite:
    return Invite(
        row["id"], row["code_hash"], row["uses"], row["left"], row["expires_at"],
        row["created_by"], row["created_at"],
    )  # fmt: skip


class SqliteInviteStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, invite: Invite) -> None:
        i = invite

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO invites (id, code_hash, uses, left, expires_at, created_by,"
                    " created_at) VALUES (?,?,?,?,?,?,?)",
                    (i.id, i.code_hash, i.uses, i.left, i.expires_at, i.created_by, i.created_at),
                )

        await self._db.run(write)

    async def use(self, code_hash: str, *, now: float) -> Invite | None:
        def write(conn: sqlite3.Connection) -> Invite | None:
            with transaction(conn):
                row = conn.execute(
                    "UPDATE invites SET left = left - 1 WHERE code_hash = ? AND left > 0"
                    " AND expires_at > ? RETURNING *",
                    (code_hash, now),
                ).fetchone()
            return _invite(row) if row else None

        return await self._db.run(write)

    async def give_back(self, invite_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "UPDATE invites SET left = left + 1 WHERE id = ? AND left < uses", (invite_id,)
                )

        await self._db.run(write)

    async def all(self) -> list[Invite]:
        def read(conn: sqlite3.Connection) -> list[Invite]:
            rows = conn.execute("SELECT * FROM invites ORDER BY created_at DESC, id")
            return [_invite(r) for r in rows]

        return await self._db.run(read)

    async def remove(self, invite_id: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM invites WHERE id = ?", (invite_id,))
            return cur.rowcount == 1

        return await self._db.run(write)
