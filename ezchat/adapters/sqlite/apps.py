"""SQLite server keys."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ezchat.adapters.codec import time_in, time_out, time_req
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.apps import ServerKey
from ezchat.domain.errors import Conflict


def _key(row: sqlite3.Row) -> ServerKey:
    return ServerKey(
        name=row["name"],
        key_hash=row["key_hash"],
        created_at=time_req(row["created_at"]),
        revoked_at=time_in(row["revoked_at"]),
    )


class SqliteServerKeyStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, key: ServerKey) -> None:
        def write(conn: sqlite3.Connection) -> None:
            try:
                with transaction(conn):
                    conn.execute(
                        "INSERT INTO server_keys (key_hash, name, created_at) VALUES (?,?,?)",
                        (key.key_hash, key.name, time_out(key.created_at)),
                    )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"a key named {key.name} exists; revoke it first") from exc

        await self._db.run(write)

    async def by_hash(self, key_hash: str) -> ServerKey | None:
        def read(conn: sqlite3.Connection) -> ServerKey | None:
            row = conn.execute(
                "SELECT * FROM server_keys WHERE key_hash = ?", (key_hash,)
            ).fetchone()
            return _key(row) if row else None

        return await self._db.run(read)

    async def list(self) -> list[ServerKey]:
        def read(conn: sqlite3.Connection) -> list[ServerKey]:
            return [
                _key(r)
                for r in conn.execute("SELECT * FROM server_keys ORDER BY created_at, key_hash")
            ]

        return await self._db.run(read)

    async def revoke(self, name: str, at: datetime) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE server_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                    (time_out(at), name),
                )
                return cur.rowcount > 0

        return await self._db.run(write)
