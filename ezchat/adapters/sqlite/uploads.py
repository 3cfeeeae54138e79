"""SQLite file records (the bytes are in a ``FileStore``)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from ezchat.adapters.codec import file_in, time_out
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.files import StoredFile


class SqliteFileRecordStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, record: StoredFile, *, quota_bytes: int) -> bool:
        f = record

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):  # a write transaction: other writers wait
                used = conn.execute(
                    "SELECT coalesce(sum(size), 0) FROM files WHERE owner_id = ?", (f.owner_id,)
                ).fetchone()[0]
                if used + f.size > quota_bytes:
                    return False
                conn.execute(
                    "INSERT INTO files (id, owner_id, name, mime_type, size, sha256, created_at,"
                    " width, height, thumbnail_type, thumbnail_size, attached_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        f.id,
                        f.owner_id,
                        f.name,
                        f.mime_type,
                        f.size,
                        f.sha256,
                        time_out(f.created_at),
                        f.width,
                        f.height,
                        f.thumbnail_type,
                        f.thumbnail_size,
                        f.attached_at,
                    ),
                )
                return True

        return await self._db.run(write)

    async def get(self, file_id: str) -> StoredFile | None:
        def read(conn: sqlite3.Connection) -> StoredFile | None:
            row = conn.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
            return file_in(row, row["id"]) if row else None

        return await self._db.run(read)

    async def used_bytes(self, owner_id: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT coalesce(sum(size), 0) FROM files WHERE owner_id = ?", (owner_id,)
            ).fetchone()
            return int(row[0])

        return await self._db.run(read)

    async def touch(self, file_id: str, now: float) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("UPDATE files SET attached_at = ? WHERE id = ?", (now, file_id))
                return cur.rowcount > 0

        return await self._db.run(write)

    async def delete_if_idle(self, file_id: str, attached_before: float) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM files WHERE id = ? AND coalesce(attached_at, 0) < ?",
                    (file_id, attached_before),
                )
                if cur.rowcount:
                    conn.execute("DELETE FROM message_files WHERE file_id = ?", (file_id,))
                return cur.rowcount > 0

        return await self._db.run(write)

    async def idle(self, before: float, limit: int) -> list[StoredFile]:
        cutoff = time_out(datetime.fromtimestamp(before, UTC))

        def read(conn: sqlite3.Connection) -> list[StoredFile]:
            rows = conn.execute(
                "SELECT * FROM files WHERE created_at < ? AND coalesce(attached_at, 0) < ?"
                " ORDER BY created_at, id LIMIT ?",
                (cutoff, before, limit),
            )
            return [file_in(r, r["id"]) for r in rows]

        return await self._db.run(read)
