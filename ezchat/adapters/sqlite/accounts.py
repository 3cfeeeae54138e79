"""SQLite users and contacts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ezchat.adapters.codec import revocation_in, time_out, time_req, user_in
from ezchat.adapters.sqlite.db import SqliteDatabase, casefold, transaction
from ezchat.domain.access import AccessChange, Credentials, Revocation
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import Contact, ContactPair, ContactState, Presence, PresenceChange, User

USER_COLUMNS = "id, username, display_name, avatar_url, status, last_seen, created_at"
# What reads take: the profile and the access fields (never the password hash).
USER_READ = (
    USER_COLUMNS + ", disabled, sessions_after, session_kept, external_id, bot, admin, deleted_at"
)


def user_from_row(row: sqlite3.Row) -> User:
    return user_in(row, row["id"])


def users_by_id(conn: sqlite3.Connection, user_ids: list[str]) -> dict[str, User]:
    """The users among ``user_ids`` that exist, by id (read 500 ids a statement)."""
    out: dict[str, User] = {}
    ids = list(dict.fromkeys(user_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {USER_READ} FROM users WHERE id IN ({marks})", chunk):
            out[row["id"]] = user_from_row(row)
    return out


class SqliteUserStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, user: User, credentials: Credentials) -> None:
        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    f"INSERT INTO users ({USER_COLUMNS}, password_hash, external_id, bot)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        user.id,
                        user.username,
                        user.display_name,
                        user.avatar_url,
                        user.status.value,
                        time_out(user.last_seen),
                        time_out(user.created_at),
                        credentials.password_hash,
                        user.external_id,
                        int(user.bot),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                taken = "external_id" if "external_id" in str(exc) else "username"
                raise Conflict(f"{taken} is taken") from exc

        await self._db.run(write)

    async def get(self, user_id: str) -> User | None:
        def read(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(f"SELECT {USER_READ} FROM users WHERE id = ?", (user_id,)).fetchone()
            return user_from_row(row) if row else None

        return await self._db.run(read)

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        if not user_ids:
            return {}

        return await self._db.run(lambda conn: users_by_id(conn, user_ids))

    async def get_by_username(self, username: str) -> User | None:
        def read(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {USER_READ} FROM users WHERE username = ?", (username,)
            ).fetchone()
            return user_from_row(row) if row else None

        return await self._db.run(read)

    async def get_by_external_id(self, external_id: str) -> User | None:
        def read(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {USER_READ} FROM users WHERE external_id = ?", (external_id,)
            ).fetchone()
            return user_from_row(row) if row else None

        return await self._db.run(read)

    async def credentials(self, user_id: str) -> Credentials | None:
        def read(conn: sqlite3.Connection) -> Credentials | None:
            row = conn.execute(
                "SELECT password_hash FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            return Credentials(user_id=user_id, password_hash=row[0]) if row else None

        return await self._db.run(read)

    async def release_username(self, user_id: str, placeholder: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE users SET username = ? WHERE id = ? AND deleted_at IS NOT NULL",
                    (placeholder, user_id),
                )
            return cur.rowcount == 1

        return await self._db.run(write)

    async def update(self, user: User) -> None:
        def write(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE users SET display_name = ?, avatar_url = ? WHERE id = ?",
                (user.display_name, user.avatar_url, user.id),
            )
            if cur.rowcount == 0:
                raise NotFound("user not found")

        await self._db.run(write)

    async def set_presence(
        self, user_id: str, status: Presence, last_seen: datetime
    ) -> User | None:
        def write(conn: sqlite3.Connection) -> User | None:
            conn.execute(
                "UPDATE users SET status = ?, last_seen = ? WHERE id = ?",
                (status.value, time_out(last_seen), user_id),
            )
            row = conn.execute(f"SELECT {USER_READ} FROM users WHERE id = ?", (user_id,)).fetchone()
            return user_from_row(row) if row else None

        return await self._db.run(write)

    async def set_presence_many(self, changes: Sequence[PresenceChange]) -> dict[str, User]:
        def write(conn: sqlite3.Connection) -> dict[str, User]:
            with transaction(conn):
                conn.executemany(
                    "UPDATE users SET status = ?, last_seen = ? WHERE id = ?",
                    [(c.status.value, time_out(c.last_seen), c.user_id) for c in changes],
                )
            return users_by_id(conn, [c.user_id for c in changes])

        return await self._db.run(write)

    async def set_access(self, user_id: str, change: AccessChange) -> User | None:
        sets: dict[str, object] = {}
        if change.password_hash is not None:
            sets["password_hash"] = change.password_hash
        if change.disabled is not None:
            sets["disabled"] = int(change.disabled)
        if change.admin is not None:
            sets["admin"] = int(change.admin)
        if change.deleted_at is not None:
            sets["deleted_at"] = change.deleted_at
        if change.sessions_after is not None:
            sets["sessions_after"] = change.sessions_after
            sets["session_kept"] = change.session_kept
        assignments = ", ".join([*(f"{k} = ?" for k in sets), "id = id"])  # fixed names only

        def write(conn: sqlite3.Connection) -> User | None:
            with transaction(conn):
                conn.execute(
                    f"UPDATE users SET {assignments} WHERE id = ?", (*sets.values(), user_id)
                )
                row = conn.execute(
                    f"SELECT {USER_READ} FROM users WHERE id = ?", (user_id,)
                ).fetchone()
            return user_from_row(row) if row else None

        return await self._db.run(write)

    async def clear_presence(self) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE users SET status = 'offline' WHERE status <> 'offline'"
            )
        )

    async def search(self, prefix: str, limit: int, *, after: str = "") -> list[User]:
        p = casefold(prefix) or ""

        def read(conn: sqlite3.Connection) -> list[User]:
            # The username part uses the index (a range); substr() compares literally.
            rows = conn.execute(
                f"SELECT {USER_READ} FROM users WHERE ((username >= ? AND username < ?) "
                "OR substr(casefold(display_name), 1, ?) = ?) AND username > ?"
                " ORDER BY username LIMIT ?",
                (p, p + "\U0010ffff", len(p), p, after, limit),
            )
            return [user_from_row(r) for r in rows]

        return await self._db.run(read)


def contact_from_row(row: sqlite3.Row) -> Contact:
    return Contact(
        owner_id=row["owner_id"],
        user_id=row["user_id"],
        state=ContactState(row["state"]),
        since=time_req(row["since"]),
    )


def _read_pair(conn: sqlite3.Connection, owner_id: str, user_id: str) -> ContactPair:
    rows = {
        (row["owner_id"], row["user_id"]): contact_from_row(row)
        for row in conn.execute(
            "SELECT * FROM contacts WHERE (owner_id = ? AND user_id = ?)"
            " OR (owner_id = ? AND user_id = ?)",
            (owner_id, user_id, user_id, owner_id),
        )
    }
    return ContactPair(rows.get((owner_id, user_id)), rows.get((user_id, owner_id)))


class SqliteContactStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def get(self, owner_id: str, user_id: str) -> Contact | None:
        def read(conn: sqlite3.Connection) -> Contact | None:
            row = conn.execute(
                "SELECT * FROM contacts WHERE owner_id = ? AND user_id = ?", (owner_id, user_id)
            ).fetchone()
            return contact_from_row(row) if row else None

        return await self._db.run(read)

    async def pair(self, owner_id: str, user_id: str) -> ContactPair:
        return await self._db.run(lambda conn: _read_pair(conn, owner_id, user_id))

    async def swap_pair(
        self, owner_id: str, user_id: str, *, expected: ContactPair, new: ContactPair
    ) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                if _read_pair(conn, owner_id, user_id) != expected:
                    return False
                for owner, user, side in (
                    (owner_id, user_id, new.mine),
                    (user_id, owner_id, new.theirs),
                ):
                    if side is None:
                        conn.execute(
                            "DELETE FROM contacts WHERE owner_id = ? AND user_id = ?", (owner, user)
                        )
                    else:
                        conn.execute(
                            "INSERT OR REPLACE INTO contacts (owner_id, user_id, state, since)"
                            " VALUES (?,?,?,?)",
                            (owner, user, side.state.value, time_out(side.since)),
                        )
            return True

        return await self._db.run(write)

    async def list(self, owner_id: str) -> list[Contact]:
        def read(conn: sqlite3.Connection) -> list[Contact]:
            rows = conn.execute(
                "SELECT * FROM contacts WHERE owner_id = ? ORDER BY since, user_id", (owner_id,)
            )
            return [contact_from_row(r) for r in rows]

        return await self._db.run(read)


class SqliteRevocationStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, revocation: Revocation) -> None:
        r = revocation
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT INTO revocations (id, user_id, at, expires_at, token_id, kept)"
                " VALUES (?,?,?,?,?,?)",
                (r.id, r.user_id, r.at, r.expires_at, r.token_id, r.kept),
            )
        )

    async def after(self, position: int, limit: int = 1000) -> tuple[list[Revocation], int]:
        def read(conn: sqlite3.Connection) -> tuple[list[Revocation], int]:
            rows = conn.execute(
                "SELECT * FROM revocations WHERE position > ? ORDER BY position LIMIT ?",
                (position, limit),
            ).fetchall()
            found = [revocation_in(r, r["id"]) for r in rows]
            return found, rows[-1]["position"] if rows else position

        return await self._db.run(read)

    async def position(self) -> int:
        def read(conn: sqlite3.Connection) -> int:
            return int(
                conn.execute("SELECT coalesce(max(position), 0) FROM revocations").fetchone()[0]
            )

        return await self._db.run(read)

    async def active(self, now: float) -> list[Revocation]:
        def read(conn: sqlite3.Connection) -> list[Revocation]:
            rows = conn.execute(
                "SELECT * FROM revocations WHERE token_id IS NOT NULL AND expires_at > ?", (now,)
            )
            return [revocation_in(r, r["id"]) for r in rows]

        return await self._db.run(read)
