"""The SQLite database: one connection on one dedicated thread, schema, transactions, and the
translation of sqlite3 errors into the project's own."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ezchat.adapters.sqlite.schema import pending, upgrade
from ezchat.domain.errors import StorageUnavailable, TransientStorageError

log = logging.getLogger(__name__)
T = TypeVar("T")


# "database is locked" and the like: another process holds the write lock too long, or the
# disk is briefly unavailable. Worth a retry.
TRANSIENT = ("locked", "busy", "disk i/o error", "unable to open")


# How long opening may wait for another process that is opening the same new file.
OPEN_TIMEOUT_S = 30.0


def casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


# Results the database thread hands back to the event loop at once, at most: under load one
# wake-up of the loop settles many calls; idle, each call is settled as soon as it is done.
SETTLE_EVERY = 16


class _DatabaseThread:
    """One thread that runs every call in order. Unlike an executor, it settles the callers'
    futures in batches (one ``call_soon_threadsafe`` per batch, not per call): in a storm of
    small reads, waking the loop was costing as much as the reads."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, call: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="sqlite", daemon=True)
            self._thread.start()
        self._queue.put((loop, future, call))
        return future

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        done: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], bool, Any]] = []
        while True:
            item = self._queue.get()
            if item is None:
                self._settle(done)
                return
            loop, future, call = item
            try:
                done.append((loop, future, True, call()))
            except BaseException as exc:  # handed to the caller, whatever it is
                done.append((loop, future, False, exc))
            if len(done) >= SETTLE_EVERY or self._queue.empty():
                self._settle(done)
                done = []

    @staticmethod
    def _settle(
        done: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], bool, Any]],
    ) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for loop, future, ok, value in done:
            by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, results in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting
                loop.call_soon_threadsafe(_set_results, results)


def _set_results(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in results:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class SqliteDatabase:
    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 5000
    ) -> None:
        self.path = str(path)
        self._synchronous = synchronous
        self._busy_ms = busy_timeout_ms
        self._thread = _DatabaseThread()
        self._conn: sqlite3.Connection | None = None
        self._lock: int | None = None

    async def open(self) -> None:
        if self.path != ":memory:":
            try:
                prepare_path(Path(self.path))
                # Held while open: `restore` refuses to replace a database in use.
                self._lock = hold_lock(Path(self.path), exclusive=False)
            except OSError as exc:
                raise StorageUnavailable(f"cannot create {self.path}: {exc.strerror}") from exc
        await self.run(lambda _: None)

    def _connect(self) -> sqlite3.Connection:
        """Open, switch to WAL and bring the schema up to date, retrying while another process
        holds the lock (two processes opening a new file at once both switch it to WAL)."""
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        attempt = 0
        while True:
            try:
                return self._connect_once()
            except sqlite3.OperationalError as exc:
                transient = any(t in str(exc).lower() for t in TRANSIENT)
                if not transient or time.monotonic() > deadline:
                    raise
                attempt += 1
                delay = min(0.5, 0.01 * 2**attempt) * random.random()
                log.info("opening %s: %s; retrying in %.3f s", self.path, exc, delay)
                time.sleep(delay)  # on the database thread, never the event loop

    def _connect_once(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
            pending(conn)  # a file newer than this code is refused before anything changes it
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.create_function("casefold", 1, casefold, deterministic=True)
            upgrade(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the connection on the database thread. sqlite3 errors that are not
        handled inside ``fn`` become ``StorageUnavailable`` (``TransientStorageError`` when a
        retry may succeed)."""

        def call() -> T:
            if self._conn is None:
                self._conn = self._connect()
            return fn(self._conn)

        try:
            return await self._thread.submit(call)
        except sqlite3.Error as exc:
            text = str(exc).lower()
            if any(t in text for t in TRANSIENT):
                raise TransientStorageError(f"sqlite: {exc}") from exc
            raise StorageUnavailable(f"sqlite: {exc}") from exc

    async def close(self) -> None:
        def shut(conn: sqlite3.Connection) -> None:
            conn.close()
            self._conn = None

        if self._conn is not None:
            await self.run(shut)
        self._thread.stop()
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock at once, so a read-then-write inside it
    (seq and rev allocation) cannot interleave with another process's."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def prepare_path(path: Path) -> None:
    """The database's directory (created 0700) and file (0600): messages and password hashes
    are for the server's user alone. SQLite gives its -wal and -shm files the file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except FileNotFoundError:
            pass


def hold_lock(path: Path, *, exclusive: bool) -> int:
    """A lock on the database's lock file (shared by running servers, exclusive for restore);
    the descriptor holds it until closed (or the process dies). ``BlockingIOError`` when taken."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def data_lock(path: Path, *, exclusive: bool) -> Iterator[bool]:
    """Whether the lock could be taken, held for the block."""
    try:
        fd = hold_lock(path, exclusive=exclusive)
    except BlockingIOError:
        yield False
        return
    try:
        yield True
    finally:
        os.close(fd)
