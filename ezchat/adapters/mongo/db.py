"""The MongoDB connection: client (Motor or pymongo's AsyncMongoClient), indexes, and the
translation of driver errors into the project's own."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from pymongo import ASCENDING, DESCENDING, TEXT
from pymongo.errors import (
    ConnectionFailure,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WTimeoutError,
)

from ezchat.domain.errors import StorageUnavailable, TransientStorageError

P = ParamSpec("P")
T = TypeVar("T")

# (collection, keys, options): created at start, idempotently.
log = logging.getLogger(__name__)

INDEXES: list[tuple[str, list[tuple[str, int]], dict[str, Any]]] = [
    ("users", [("username", ASCENDING)], {"unique": True, "name": "username"}),
    ("users", [("display_folded", ASCENDING)], {"name": "display_folded"}),
    ("contact_pairs", [("lo", ASCENDING)], {"name": "lo"}),
    ("revocations", [("position", ASCENDING)], {"unique": True, "name": "position"}),
    ("contact_pairs", [("hi", ASCENDING)], {"name": "hi"}),
    ("members", [("conversation_id", ASCENDING)], {"name": "conversation"}),
    ("members", [("user_id", ASCENDING)], {"name": "user"}),
    (
        "messages",
        [("conversation_id", ASCENDING), ("seq", ASCENDING)],
        {"unique": True, "name": "conv_seq"},
    ),
    (
        "messages",
        [("conversation_id", ASCENDING), ("rev", ASCENDING)],
        {"unique": True, "name": "conv_rev"},
    ),
    (
        "messages",
        [("sender_id", ASCENDING), ("client_id", ASCENDING)],
        {"unique": True, "name": "sender_client"},
    ),
    (
        "messages",
        [("conversation_id", ASCENDING), ("created_at", DESCENDING)],
        {"name": "conv_created"},
    ),
    ("messages", [("attachments.file_id", ASCENDING)], {"name": "attachment_files"}),
    (
        "messages",
        [("conversation_id", ASCENDING), ("deleted", ASCENDING), ("seq", ASCENDING)],
        {"name": "standing"},
    ),
    (
        "messages",
        [
            ("sender_id", ASCENDING),
            ("deleted", ASCENDING),
            ("conversation_id", ASCENDING),
            ("seq", ASCENDING),
        ],
        {"name": "sender_standing"},
    ),
    ("exports", [("owner_id", ASCENDING), ("created_at", DESCENDING)], {"name": "owner"}),
    ("exports", [("expires_at", ASCENDING)], {"name": "expires"}),
    (
        "messages",
        [("conversation_id", ASCENDING), ("thread_root", ASCENDING), ("seq", ASCENDING)],
        {"name": "thread"},
    ),
    (
        "thread_follows",
        [("conversation_id", ASCENDING), ("root_id", ASCENDING)],
        {"name": "thread"},
    ),
    ("thread_follows", [("user_id", ASCENDING), ("following", ASCENDING)], {"name": "user"}),
    (
        "messages",
        [("conversation_id", ASCENDING), ("pinned_at", DESCENDING)],
        {"name": "pinned"},
    ),
    (
        "scheduled",
        [("user_id", ASCENDING), ("client_id", ASCENDING)],
        {"unique": True, "name": "user_client"},
    ),
    ("scheduled", [("state", ASCENDING), ("due_at", ASCENDING)], {"name": "due"}),
    ("scheduled", [("user_id", ASCENDING), ("send_at", ASCENDING)], {"name": "user"}),
    ("invites", [("code_hash", ASCENDING)], {"unique": True, "name": "code"}),
    ("audit", [("at", DESCENDING)], {"name": "newest"}),
    (
        "reports",
        [("message_id", ASCENDING), ("reporter_id", ASCENDING)],
        {"unique": True, "name": "once"},
    ),
    ("reports", [("status", ASCENDING), ("created_at", DESCENDING)], {"name": "status"}),
    ("audit", [("actor", ASCENDING), ("at", DESCENDING)], {"name": "actor"}),
    ("files", [("owner_id", ASCENDING)], {"name": "owner"}),
    ("files", [("created_ts", ASCENDING)], {"name": "created"}),
    # An open entry's open_key is "user conversation"; once claimed, its own id. So the unique
    # index allows one open entry per pair (partial indexes are not everywhere).
    ("outbox", [("open_key", ASCENDING)], {"unique": True, "name": "open_key"}),
    ("outbox", [("next_at", ASCENDING)], {"name": "next_at"}),
    ("push_subscriptions", [("user_id", ASCENDING), ("position", ASCENDING)], {"name": "user"}),
    ("webhook_deliveries", [("state", ASCENDING), ("position", ASCENDING)], {"name": "state"}),
    ("webhook_deliveries", [("key", ASCENDING), ("position", ASCENDING)], {"name": "group"}),
    ("webhook_deliveries", [("webhook_id", ASCENDING), ("position", ASCENDING)], {"name": "hook"}),
    ("incoming_hooks", [("token_hash", ASCENDING)], {"unique": True, "name": "token"}),
    ("incoming_hooks", [("conversation_id", ASCENDING)], {"name": "conversation"}),
]


def client_options(
    *,
    max_pool_size: int,
    min_pool_size: int,
    max_idle_time_ms: int,
    socket_timeout_ms: int,
    connect_timeout_ms: int,
    server_selection_timeout_ms: int,
    write_concern: str = "majority",
    journal: bool = True,
    write_timeout_ms: int = 10_000,
) -> dict[str, Any]:
    """The client's settings. Every write waits for ``write_concern`` (journaled): an ack then
    means the write survives what that concern promises."""
    return {
        "w": write_concern if write_concern == "majority" else int(write_concern),
        "journal": journal,
        "wTimeoutMS": write_timeout_ms,
        "maxPoolSize": max_pool_size,
        "minPoolSize": min_pool_size,
        "maxIdleTimeMS": max_idle_time_ms,
        "socketTimeoutMS": socket_timeout_ms,
        "connectTimeoutMS": connect_timeout_ms,
        "serverSelectionTimeoutMS": server_selection_timeout_ms,
        "retryWrites": True,
        "retryReads": True,
        "appname": "ezchat",
        # A string another writer stored as invalid UTF-8 reads as U+FFFD instead of failing
        # every read of its document.
        "unicode_decode_error_handler": "replace",
    }


def make_client(url: str, driver: str, options: dict[str, Any]) -> Any:
    """A client of the chosen driver; it connects lazily, on first use."""
    if driver == "pymongo":
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(url, **options)
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient(url, **options)


@contextmanager
def translate() -> Iterator[None]:
    """Driver errors become ours: lost connections and timeouts are transient (worth a retry),
    anything else is the store being unavailable."""
    try:
        yield
    except (ConnectionFailure, ExecutionTimeout, WTimeoutError) as exc:
        raise TransientStorageError(f"mongodb: {exc}") from exc
    except PyMongoError as exc:
        raise StorageUnavailable(f"mongodb: {exc}") from exc


def translated(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with translate():
            return await fn(*args, **kwargs)

    return wrapper


def duplicate_of(error: dict[str, Any] | Exception) -> str:
    """Which unique rule a duplicate-key error broke: "client" (sender_id, client_id),
    "alloc" (seq or rev taken by a concurrent writer), or "other". Real MongoDB reports the
    key pattern; nx-27017 only names the index in the message; both name the fields."""
    details: dict[str, Any] = (
        error if isinstance(error, dict) else getattr(error, "details", None) or {}
    )
    pattern = details.get("keyPattern") or {}
    said = str(error) if isinstance(error, Exception) else ""
    text = f"{list(pattern)} {details.get('errmsg', '')} {said}"
    if "client_id" in text:
        return "client"
    if "seq" in text or "rev" in text:
        return "alloc"
    return "other"


def read_preference(mode: str, max_staleness_s: int = -1) -> Any:
    """A pymongo read preference from MONGODB_READ_PREFERENCE and MONGODB_MAX_STALENESS_S."""
    from pymongo import read_preferences

    if mode == "primary":
        return read_preferences.Primary()
    kind = {
        "primaryPreferred": read_preferences.PrimaryPreferred,
        "secondary": read_preferences.Secondary,
        "secondaryPreferred": read_preferences.SecondaryPreferred,
        "nearest": read_preferences.Nearest,
    }[mode]
    return kind(max_staleness=max_staleness_s)


class MongoDatabase:
    def __init__(self, client: Any, name: str, history_reads: Any = None) -> None:
        """``history_reads``: the read preference of older history pages and search (the
        primary when None)."""
        self.client = client
        self.db = client[name]
        self.history_reads = history_reads or read_preference("primary")
        # Whether messages have a text index (searched with $text); without one, search falls
        # back to scanning the caller's messages with regular expressions.
        self.text_index = False

    def __getitem__(self, collection: str) -> Any:
        return self.db[collection]

    @translated
    async def open(self) -> None:
        await self.db.command("ping")
        for collection, keys, options in INDEXES:
            await self.db[collection].create_index(keys, **options)
        try:
            await self.db["messages"].create_index(
                [("text", TEXT)], name="text", default_language="none"
            )
            self.text_index = True
        except OperationFailure as exc:  # a deployment that cannot build it: search scans
            log.warning("no text index on messages (%s): search scans instead", exc)

    @translated
    async def ping(self) -> None:
        await self.db.command("ping")

    async def close(self) -> None:
        result = self.client.close()
        if inspect.isawaitable(result):  # pymongo's async client closes asynchronously
            await result
