"""The database file as a whole, for the admin command: an online backup, a restore that keeps
what it replaces, the schema steps a file lacks, and its counts. Every failure is a
``DatabaseFileError`` saying what is wrong in one line; no sqlite3 error escapes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ezchat.adapters.sqlite.db import data_lock, prepare_path
from ezchat.adapters.sqlite.schema import SCHEMA_VERSION, pending, upgrade, version_of

# Every EZChat database has these, from release 0.1.0 (schema version 0) on.
EZCHAT_TABLES = frozenset({"users", "conversations", "members", "messages"})


class DatabaseFileError(Exception):
    """What is wrong with a database file, in one line."""


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.exists():
        raise DatabaseFileError(f"no database at {path} (SQLITE_PATH/DATA_DIR)")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            yield conn
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"{path} is not an SQLite database: {exc}") from None


def backup(source: Path, target: Path) -> int:
    """A consistent copy of the live database (sqlite3's online backup), safe while the server
    writes: the database as of one moment, checked. Its size in bytes."""
    if target.exists():
        raise DatabaseFileError(f"{target} exists; choose a new file")
    with _reading(source) as src:
        prepare_path(target)
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        raise DatabaseFileError(f"the copy in {target} fails its integrity check: {ok}")
    return target.stat().st_size


def restore(source: Path, target: Path) -> Path | None:
    """Put a backup in place of the database (the server must be stopped: a running one holds
    the data lock). Refuses a file that is not an EZChat database of a known schema version.
    Where the database it replaced is kept, or None when there was none."""
    if not source.exists():
        raise DatabaseFileError(f"no backup at {source}")
    with _reading(source) as src:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
            version = version_of(src)
            tables = {
                r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise DatabaseFileError(f"{source} is not an SQLite database: {exc}") from None
        if ok != "ok":
            raise DatabaseFileError(f"{source} fails its integrity check: {ok}")
        if version > SCHEMA_VERSION:
            raise DatabaseFileError(f"{source} is newer (schema {version}) than this EZChat")
        missing = sorted(EZCHAT_TABLES - tables)
        if missing:
            raise DatabaseFileError(
                f"{source} is not an EZChat database (no {', '.join(missing)} table); "
                "nothing was changed"
            )
        with data_lock(target, exclusive=True) as held:
            if not held:
                raise DatabaseFileError(f"the server is running on {target}: stop it first")
            kept = _keep_replaced(target)
            for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
            prepare_path(target)
            with contextlib.closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
    return kept


def _keep_replaced(target: Path) -> Path | None:
    """A copy of the database about to be replaced (with what its WAL holds), beside it:
    ``ezchat.db.before-restore-<UTC time>``. None when there was none."""
    if not target.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    with _reading(target) as old, contextlib.closing(sqlite3.connect(kept)) as copy:
        old.backup(copy)
    kept.chmod(0o600)
    return kept


def schema_steps(path: Path, *, apply: bool) -> list[tuple[int, str]]:
    """The schema steps the file lacks (version, description); applied when ``apply``."""
    if not path.exists():
        raise DatabaseFileError(f"no database at {path} (SQLITE_PATH/DATA_DIR)")
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA busy_timeout = 30000")
            steps = [(m.version, m.description) for m in pending(conn)]
            if apply:
                upgrade(conn)
            return steps
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"{path}: {exc}") from None


def counts(path: Path) -> dict[str, int]:
    """Users, conversations and messages; notifications by state where the file has an
    outbox (``notifications open``...); and ``bytes``, the database's size with its WAL."""
    with _reading(path) as conn:
        found = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("users", "conversations", "messages")
        }
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone():
            by_state = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"))
            for state in ("open", "sending", "dead"):
                found[f"notifications {state}"] = int(by_state.get(state, 0))
    found["bytes"] = sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())
    return found
