"""The later steps of the SQLite schema (schema.py lists them all, in order). Never edited once
released, like every step."""

from __future__ import annotations

import sqlite3


def step_8(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE files (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL,"
        " mime_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
        " created_at TEXT NOT NULL, width INTEGER, height INTEGER, thumbnail_type TEXT,"
        " thumbnail_size INTEGER NOT NULL DEFAULT 0,"
        " attached_at REAL)",
        "CREATE INDEX files_by_owner ON files (owner_id)",
        "CREATE INDEX files_by_age ON files (created_at)",
        # Which standing messages carry which uploaded file: written with the message.
        "CREATE TABLE message_files (file_id TEXT NOT NULL, conversation_id TEXT NOT NULL,"
        " message_id TEXT NOT NULL, PRIMARY KEY (file_id, message_id))",
        "CREATE INDEX message_files_by_message ON message_files (message_id)",
    ):
        conn.execute(statement)


def step_9(conn: sqlite3.Connection) -> None:
    for statement in (
        "ALTER TABLE users ADD COLUMN external_id TEXT",
        "ALTER TABLE users ADD COLUMN bot INTEGER NOT NULL DEFAULT 0",
        "CREATE UNIQUE INDEX users_external_id ON users (external_id)"
        " WHERE external_id IS NOT NULL",
        "CREATE TABLE server_keys (key_hash TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " created_at TEXT NOT NULL, revoked_at TEXT)",
        "CREATE UNIQUE INDEX server_keys_active ON server_keys (name) WHERE revoked_at IS NULL",
    ):
        conn.execute(statement)


def step_10(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL,"
        " secret TEXT NOT NULL, created_at REAL NOT NULL)",
        # position: the recording order (rowid, never reused: AUTOINCREMENT).
        "CREATE TABLE webhook_deliveries (position INTEGER PRIMARY KEY AUTOINCREMENT,"
        " webhook_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
        " grp TEXT NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,"
        " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_at REAL NOT NULL,"
        " lease_until REAL NOT NULL, lease_token TEXT, last_status INTEGER, last_error TEXT,"
        " finished_at REAL, UNIQUE (webhook_id, event_id))",
        "CREATE INDEX webhook_deliveries_group ON webhook_deliveries"
        " (webhook_id, grp, position) WHERE state = 'pending'",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at)"
        " WHERE state = 'pending'",
        "CREATE INDEX webhook_deliveries_listed ON webhook_deliveries (webhook_id, position)",
        "CREATE TABLE incoming_hooks (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL,"
        " name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, bot_id TEXT NOT NULL,"
        " created_by TEXT, created_at REAL NOT NULL)",
        "CREATE INDEX incoming_hooks_conversation ON incoming_hooks (conversation_id)",
    ):
        conn.execute(statement)


def step_13(conn: sqlite3.Connection) -> None:
    for statement in (
        "ALTER TABLE messages ADD COLUMN thread_root TEXT",
        "ALTER TABLE messages ADD COLUMN thread TEXT",
        "CREATE INDEX messages_thread ON messages (conversation_id, thread_root, seq)"
        " WHERE thread_root IS NOT NULL",
        "CREATE TABLE thread_follows (user_id TEXT NOT NULL, conversation_id TEXT NOT NULL,"
        " root_id TEXT NOT NULL, following INTEGER NOT NULL, read_seq INTEGER NOT NULL,"
        " PRIMARY KEY (user_id, conversation_id, root_id))",
        "CREATE INDEX thread_follows_thread ON thread_follows (conversation_id, root_id)",
    ):
        conn.execute(statement)


def step_14(conn: sqlite3.Connection) -> None:
    for statement in (
        "ALTER TABLE messages ADD COLUMN pinned_at TEXT",
        "ALTER TABLE messages ADD COLUMN pinned_by TEXT",
        "CREATE INDEX messages_pinned ON messages (conversation_id, pinned_at)"
        " WHERE pinned_at IS NOT NULL",
        "ALTER TABLE conversations ADD COLUMN members_can_pin INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE conversations ADD COLUMN pin_count INTEGER NOT NULL DEFAULT 0",
    ):
        conn.execute(statement)


def step_15(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE scheduled (id TEXT PRIMARY KEY, user_id TEXT NOT NULL,"
        " conversation_id TEXT NOT NULL, client_id TEXT NOT NULL, text TEXT NOT NULL,"
        " attachments TEXT NOT NULL, reply_to TEXT, send_at TEXT NOT NULL,"
        " created_at TEXT NOT NULL, state TEXT NOT NULL, error TEXT, due_at REAL NOT NULL,"
        " attempts INTEGER NOT NULL, lease_until REAL NOT NULL, lease_token TEXT,"
        " version INTEGER NOT NULL, UNIQUE (user_id, client_id))",
        "CREATE INDEX scheduled_due ON scheduled (state, due_at)",
        "CREATE INDEX scheduled_by_user ON scheduled (user_id, send_at)",
    ):
        conn.execute(statement)


def step_16(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE messages ADD COLUMN previews TEXT NOT NULL DEFAULT '[]'")


def step_17(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0")


def step_18(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE invites (id TEXT PRIMARY KEY, code_hash TEXT NOT NULL UNIQUE,"
        " uses INTEGER NOT NULL, left INTEGER NOT NULL, expires_at REAL NOT NULL,"
        " created_by TEXT NOT NULL, created_at REAL NOT NULL)"
    )


def step_19(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE audit (id TEXT PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, target TEXT, request_id TEXT, detail TEXT)",
        "CREATE INDEX audit_newest ON audit (at, id)",
        "CREATE INDEX audit_actor ON audit (actor, at)",
    ):
        conn.execute(statement)


def step_20(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE reports (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL,"
        " message_id TEXT NOT NULL, reporter_id TEXT NOT NULL, sender_id TEXT NOT NULL,"
        " text TEXT NOT NULL, reason TEXT NOT NULL, category TEXT, created_at REAL NOT NULL,"
        " status TEXT NOT NULL, resolved_by TEXT, resolved_at REAL, action TEXT,"
        " UNIQUE (message_id, reporter_id))",
        "CREATE INDEX reports_newest ON reports (status, created_at)",
    ):
        conn.execute(statement)


def step_21(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE users ADD COLUMN deleted_at REAL")


def step_22(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE INDEX messages_standing ON messages (conversation_id, seq) WHERE deleted = 0",
        "CREATE INDEX messages_by_sender ON messages (sender_id, conversation_id, seq)"
        " WHERE deleted = 0",
        "ALTER TABLE conversations ADD COLUMN retention_days INTEGER",
        "CREATE TABLE exports (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL,"
        " status TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL,"
        " lease_until REAL NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0, error TEXT)",
        "CREATE INDEX exports_by_owner ON exports (owner_id, created_at)",
        "CREATE INDEX exports_due ON exports (expires_at)",
    ):
        conn.execute(statement)
