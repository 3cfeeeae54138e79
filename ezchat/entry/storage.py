"""Builds the stores named by the config, wrapped in the guard and group commit."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.batching import GroupCommitMessageStore
from ezchat.adapters.memory import memory_stores
from ezchat.adapters.resilience import Policy, StoreGuard, guard
from ezchat.config import Config
from ezchat.ports.storage import Stores


def backend_stores(config: Config) -> Stores:
    """The raw adapters of ``STORAGE``; nothing is opened yet."""
    if config.storage == "sqlite":
        from ezchat.adapters.sqlite import sqlite_stores

        return sqlite_stores(config.database_path, synchronous=config.sqlite_synchronous.upper())
    if config.storage == "mongo":
        from ezchat.adapters.mongo import mongo_stores

        return mongo_stores(config)
    return memory_stores()


def wrap_stores(config: Config, raw: Stores) -> tuple[Stores, GroupCommitMessageStore]:
    """Every store behind one guard (concurrency limit, retries, slow log, own errors), and
    message sends behind group commit."""
    shared = StoreGuard(
        limit=config.db_concurrency_limit,
        policy=Policy(
            attempts=config.db_retry_attempts,
            base_delay_s=config.db_retry_base_ms / 1000,
            slow_s=config.slow_db_ms / 1000,
        ),
    )
    batcher = GroupCommitMessageStore(
        guard(raw.messages, shared, "messages"),
        max_batch=config.message_batch_size,
        max_delay_s=config.message_batch_delay_ms / 1000,
    )
    wrapped = replace(
        raw,
        users=guard(raw.users, shared, "users"),
        contacts=guard(raw.contacts, shared, "contacts"),
        conversations=guard(raw.conversations, shared, "conversations"),
        messages=batcher,
    )
    return wrapped, batcher
