"""SQLite conversations and members."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum

from ezchat.adapters.codec import conversation_in, time_out, time_req
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import (
    Conversation,
    Member,
    MemberChange,
    NotifyLevel,
    PointerUpdate,
    Role,
)

_ROLES = {r.value: r for r in Role}
_LEVELS = {n.value: n for n in NotifyLevel}


def member_from_row(row: sqlite3.Row) -> Member:
    """``codec.member_in`` for a row of this schema, where every column is there (once all the
    upgrades ran): by name, without asking the row for its keys four times. A group of 10,000
    is read back after each membership change, so this is 10,000 calls each time."""
    notify = row["notify"]
    return Member(
        user_id=row["user_id"],
        role=_ROLES[row["role"]],
        joined_at=time_req(row["joined_at"]),
        read_seq=row["read_seq"] or 0,
        delivered_seq=row["delivered_seq"] or 0,
        pinned=bool(row["pinned"]),
        muted=bool(row["muted"]),
        notify=_LEVELS[notify] if notify else None,
    )


def load(conn: sqlite3.Connection, ids: list[str]) -> list[Conversation]:
    """Conversations with their members, in the order of ``ids`` (missing ones left out)."""
    if not ids:
        return []
    found: dict[str, Conversation] = {}
    members: dict[str, list[Member]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT * FROM members WHERE conversation_id IN ({marks}) ORDER BY joined_at, user_id",
            chunk,
        ):
            members[row["conversation_id"]].append(member_from_row(row))
        for row in conn.execute(f"SELECT * FROM conversations WHERE id IN ({marks})", chunk):
            found[row["id"]] = conversation_in(row, row["id"], members[row["id"]])
    return [found[i] for i in ids if i in found]


def load_one(conn: sqlite3.Connection, conversation_id: str) -> Conversation:
    convs = load(conn, [conversation_id])
    if not convs:
        raise NotFound("conversation not found")
    return convs[0]


def insert_member(conn: sqlite3.Connection, conversation_id: str, m: Member) -> None:
    conn.execute(
        "INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq, delivered_seq,"
        " pinned, muted) VALUES (?,?,?,?,?,?,?,?)",
        (
            conversation_id,
            m.user_id,
            m.role.value,
            time_out(m.joined_at),
            m.read_seq,
            m.delivered_seq,
            int(m.pinned),
            int(m.muted),
        ),
    )


# Pointers move forward only.
ADVANCE = (
    "UPDATE members SET read_seq = max(read_seq, ?), delivered_seq = max(delivered_seq, ?)"
    " WHERE conversation_id = ? AND user_id = ?"
)


class SqliteConversationStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, conversation: Conversation) -> None:
        c = conversation

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                try:
                    conn.execute(
                        "INSERT INTO conversations (id, type, name, description, avatar_url,"
                        " created_by, created_at, last_seq, rev, last_activity, direct_key)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            c.id,
                            c.type.value,
                            c.name,
                            c.description,
                            c.avatar_url,
                            c.created_by,
                            time_out(c.created_at),
                            c.last_seq,
                            c.rev,
                            time_out(c.last_activity),
                            c.direct_key,
                        ),
                    )
                except sqlite3.IntegrityError as exc:
                    raise Conflict("the direct conversation exists") from exc
                for m in c.members:
                    insert_member(conn, c.id, m)

        await self._db.run(write)

    async def get(self, conversation_id: str) -> Conversation | None:
        convs = await self._db.run(lambda conn: load(conn, [conversation_id]))
        return convs[0] if convs else None

    async def get_direct(self, direct_key: str) -> Conversation | None:
        def read(conn: sqlite3.Connection) -> Conversation | None:
            row = conn.execute(
                "SELECT id FROM conversations WHERE direct_key = ?", (direct_key,)
            ).fetchone()
            convs = load(conn, [row[0]]) if row else []
            return convs[0] if convs else None

        return await self._db.run(read)

    async def update_info(self, conversation: Conversation) -> Conversation:
        c = conversation

        def write(conn: sqlite3.Connection) -> Conversation:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE conversations SET name = ?, description = ?, avatar_url = ?,"
                    " members_can_pin = ?, retention_days = ? WHERE id = ?",
                    (
                        c.name,
                        c.description,
                        c.avatar_url,
                        int(c.members_can_pin),
                        c.retention_days,
                        c.id,
                    ),  # fmt: skip
                )
                if cur.rowcount == 0:
                    raise NotFound("conversation not found")
                return load_one(conn, c.id)

        return await self._db.run(write)

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        def write(conn: sqlite3.Connection) -> Conversation:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE conversations SET pin_count = ? WHERE id = ?", (count, conversation_id)
                )
                if cur.rowcount == 0:
                    raise NotFound("conversation not found")
                return load_one(conn, conversation_id)

        return await self._db.run(write)

    async def delete(self, conversation_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for table, column in (
                    ("message_files", "conversation_id"),
                    ("messages", "conversation_id"),
                    ("members", "conversation_id"),
                    ("conversations", "id"),
                ):
                    conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (conversation_id,))

        await self._db.run(write)

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        def write(conn: sqlite3.Connection) -> Conversation:
            with transaction(conn):
                if (
                    conn.execute(
                        "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                    ).fetchone()
                    is None
                ):
                    raise NotFound("conversation not found")
                try:
                    insert_member(conn, conversation_id, member)
                except sqlite3.IntegrityError as exc:
                    raise Conflict("user is a member already") from exc
                return load_one(conn, conversation_id)

        return await self._db.run(write)

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        def write(conn: sqlite3.Connection) -> Conversation:
            with transaction(conn):
                conn.execute(
                    "DELETE FROM members WHERE conversation_id = ? AND user_id = ?",
                    (conversation_id, user_id),
                )
                return load_one(conn, conversation_id)

        return await self._db.run(write)

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        values = {
            k: v.value if isinstance(v, StrEnum) else int(bool(v))
            for k, v in change.fields().items()
        }
        # Only the columns named (fixed names, never input); "user_id = user_id" keeps the
        # statement valid with none, so a missing member is still reported.
        sets = ", ".join([*(f"{k} = ?" for k in values), "user_id = user_id"])

        def write(conn: sqlite3.Connection) -> Conversation:
            with transaction(conn):
                cur = conn.execute(
                    f"UPDATE members SET {sets} WHERE conversation_id = ? AND user_id = ?",
                    (*values.values(), conversation_id, user_id),
                )
                if cur.rowcount == 0:
                    raise NotFound("user is not a member")
                return load_one(conn, conversation_id)

        return await self._db.run(write)

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        u = update

        def write(conn: sqlite3.Connection) -> Member:
            with transaction(conn):
                conn.execute(ADVANCE, (u.read_seq, u.delivered_seq, u.conversation_id, u.user_id))
                row = conn.execute(
                    "SELECT * FROM members WHERE conversation_id = ? AND user_id = ?",
                    (u.conversation_id, u.user_id),
                ).fetchone()
            if row is None:
                raise NotFound("user is not a member")
            return member_from_row(row)

        return await self._db.run(write)

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        rows = [(u.read_seq, u.delivered_seq, u.conversation_id, u.user_id) for u in updates]

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(ADVANCE, rows)

        if rows:
            await self._db.run(write)

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        def read(conn: sqlite3.Connection) -> list[Conversation]:
            return load(conn, _ids_of(conn, user_id))

        return await self._db.run(read)

    async def ids_for_user(self, user_id: str) -> list[str]:
        return await self._db.run(lambda conn: _ids_of(conn, user_id))


def _ids_of(conn: sqlite3.Connection, user_id: str) -> list[str]:
    rows = conn.execute("SELECT conversation_id FROM members WHERE user_id = ?", (user_id,))
    return [r[0] for r in rows]
