"""SQLite pins: the pinned messages through their partial index."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.sqlite.db import SqliteDatabase
from ezchat.adapters.sqlite.messages import message_from_row
from ezchat.domain.messages import Message


class SqlitePinStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def pinned(self, conversation_id: str, limit: int) -> list[Message]:
        def read(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? AND pinned_at IS NOT NULL"
                " ORDER BY pinned_at DESC, id LIMIT ?",
                (conversation_id, limit),
            )
            return [message_from_row(r) for r in rows]

        return await self._db.run(read)

    async def count(self, conversation_id: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ? AND pinned_at IS NOT NULL",
                (conversation_id,),
            ).fetchone()
            return int(row[0])

        return await self._db.run(read)
