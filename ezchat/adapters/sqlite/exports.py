"""SQLite exports: a claim is one conditional UPDATE (pending, lease run out)."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.exports import Export, ExportStatus


def _export(row: sqlite3.Row) -> Export:
    return Export(
        row["id"], row["owner_id"], ExportStatus(row["status"]), row["created_at"],
        row["expires_at"], row["lease_until"], row["size"], row["error"],
    )  # fmt: skip


class SqliteExportStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, export: Export) -> None:
        e = export

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO exports (id, owner_id, status, created_at, expires_at,"
                    " lease_until, size, error) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        e.id, e.owner_id, e.status.value, e.created_at, e.expires_at,
                        e.lease_until, e.size, e.error,
                    ),
                )  # fmt: skip

        await self._db.run(write)

    async def get(self, export_id: str) -> Export | None:
        def read(conn: sqlite3.Connection) -> Export | None:
            row = conn.execute("SELECT * FROM exports WHERE id = ?", (export_id,)).fetchone()
            return _export(row) if row else None

        return await self._db.run(read)

    async def for_owner(self, owner_id: str) -> list[Export]:
        def read(conn: sqlite3.Connection) -> list[Export]:
            rows = conn.execute(
                "SELECT * FROM exports WHERE owner_id = ? ORDER BY created_at DESC, id",
                (owner_id,),
            )
            return [_export(r) for r in rows]

        return await self._db.run(read)

    async def _update(self, sql: str, args: tuple[object, ...]) -> Export | None:
        def write(conn: sqlite3.Connection) -> Export | None:
            with transaction(conn):
                row = conn.execute(sql, args).fetchone()
            return _export(row) if row else None

        return await self._db.run(write)

    async def claim(self, export_id: str, *, now: float, lease_s: float) -> Export | None:
        return await self._update(
            "UPDATE exports SET lease_until = ? WHERE id = ? AND status = 'pending'"
            " AND lease_until <= ? RETURNING *",
            (now + lease_s, export_id, now),
        )

    async def finish(
        self, export_id: str, *, status: ExportStatus, size: int, error: str | None,
        expires_at: float,
    ) -> Export | None:  # fmt: skip
        return await self._update(
            "UPDATE exports SET status = ?, size = ?, error = ?, expires_at = ?"
            " WHERE id = ? AND status = 'pending' RETURNING *",
            (status.value, size, error, expires_at, export_id),
        )

    async def due(self, now: float, limit: int) -> list[Export]:
        def read(conn: sqlite3.Connection) -> list[Export]:
            rows = conn.execute(
                "SELECT * FROM exports WHERE expires_at <= ?"
                " OR (status = 'pending' AND lease_until <= ?)"
                " ORDER BY created_at, id LIMIT ?",
                (now, now, limit),
            )
            return [_export(r) for r in rows]

        return await self._db.run(read)

    async def remove(self, export_id: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM exports WHERE id = ?", (export_id,))
            return cur.rowcount == 1

        return await self._db.run(write)
