"""MongoDB schema versions: a version document (``meta``, ``_id: "schema"``) and ordered,
forward-only, idempotent steps applied at start. Of several processes starting at once, the
one holding a short lease migrates and the others wait for the version to arrive. A database
newer than this code is refused, untouched. Indexes are (re)created at every start anyway:
creating an existing index is a no-op."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from ezchat.adapters.mongo.accounts import migrate_contacts
from ezchat.domain.errors import IncompatibleStorage, StorageUnavailable

log = logging.getLogger(__name__)

LEASE_S = 60.0
WAIT_S = 300.0


@dataclass(frozen=True)
class MongoMigration:
    version: int
    description: str
    apply: Callable[[Any], Awaitable[object]]


MIGRATIONS = [
    MongoMigration(1, "contacts as one document per pair", migrate_contacts),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


async def version_of(db: Any) -> int:
    doc = await db["meta"].find_one({"_id": "schema"})
    return int(doc["version"]) if doc else 0


async def pending(db: Any) -> list[MongoMigration]:
    version = await version_of(db)
    if version > SCHEMA_VERSION:
        raise IncompatibleStorage(
            f"the database is at schema version {version}, newer than this EZChat "
            f"({SCHEMA_VERSION}): run the newer release, or restore a backup"
        )
    return [m for m in MIGRATIONS if m.version > version]


async def upgrade(db: Any) -> list[MongoMigration]:
    """Apply the pending steps (holding the lease), or wait for another process to."""
    if not await pending(db):
        return []
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + WAIT_S
    while not await _take_lease(db, holder):
        if not await pending(db):
            return []  # another process did it
        if time.monotonic() > deadline:
            raise StorageUnavailable("another process has been migrating the database too long")
        await asyncio.sleep(0.2)
    try:
        steps = await pending(db)
        for step in steps:
            log.info("mongodb schema: applying %d (%s)", step.version, step.description)
            await step.apply(db)
            await db["meta"].update_one(
                {"_id": "schema"}, {"$max": {"version": step.version}}, upsert=True
            )
        return steps
    finally:
        await db["meta"].delete_one({"_id": "migration-lease", "holder": holder})


async def _take_lease(db: Any, holder: str) -> bool:
    now = time.time()
    try:
        await db["meta"].update_one(
            {"_id": "migration-lease", "until": {"$lt": now}},
            {"$set": {"holder": holder, "until": now + LEASE_S}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False  # held, and not expired
    return True
