"""Contacts written one document per side (before pair documents) are folded into pairs when
the store opens, and keep working."""

import asyncio
import uuid

import pytest

from ezchat.adapters.mongo import MongoDatabase, make_client, stores_over
from ezchat.adapters.mongo.schema import SCHEMA_VERSION, version_of
from ezchat.domain.errors import StorageUnavailable
from ezchat.domain.model import ContactState
from tests.contract.conftest import OPTIONS
from tests.support import present

pytestmark = pytest.mark.gen_test


async def test_side_documents_of_an_older_version_become_pairs_on_open(nx_server):
    name = f"ezchat_migrate_{uuid.uuid4().hex[:10]}"
    db = MongoDatabase(make_client(nx_server.url, "motor", OPTIONS), name)
    try:
        old = [
            ("a", "b", "outgoing", "2026-01-01T00:00:00.000000Z"),
            ("b", "a", "incoming", "2026-01-01T00:00:00.000000Z"),
            ("c", "a", "blocked", "2026-01-02T00:00:00.000000Z"),
        ]
        await db["contacts"].insert_many(
            [
                {"_id": f"{o}|{u}", "owner_id": o, "user_id": u, "state": s, "since": t}
                for o, u, s, t in old
            ]
        )
        stores = stores_over(db)
        await stores.start()
        await stores.start()  # again: nothing left to move, nothing changes
        c = stores.contacts
        assert present(await c.get("a", "b")).state is ContactState.OUTGOING
        assert present(await c.get("b", "a")).state is ContactState.INCOMING
        assert present(await c.get("c", "a")).state is ContactState.BLOCKED
        assert await c.get("a", "c") is None
        assert [x.user_id for x in await c.list("a")] == ["b"]
        assert await db["contacts"].count_documents({}) == 0
    finally:
        await db.client.drop_database(name)
        await db.close()


async def test_the_version_is_recorded_concurrent_starts_migrate_once_and_newer_is_refused(
    nx_server,
):
    name = f"ezchat_migrate_{uuid.uuid4().hex[:10]}"
    dbs = [MongoDatabase(make_client(nx_server.url, "motor", OPTIONS), name) for _ in range(3)]
    try:
        await dbs[0]["contacts"].insert_many(
            [
                {
                    "_id": f"a{i}|b",
                    "owner_id": f"a{i}",
                    "user_id": "b",
                    "state": "outgoing",
                    "since": "2026-01-01T00:00:00.000000Z",
                }
                for i in range(20)
            ]
        )
        await asyncio.gather(*(stores_over(db).start() for db in dbs))
        assert await version_of(dbs[0]) == SCHEMA_VERSION
        assert await dbs[0]["contact_pairs"].count_documents({}) == 20
        await dbs[0]["meta"].update_one(
            {"_id": "schema"}, {"$set": {"version": SCHEMA_VERSION + 1}}
        )
        with pytest.raises(StorageUnavailable) as err:
            await stores_over(dbs[1]).start()
        assert "newer than this EZChat" in err.value.message
    finally:
        await dbs[0].client.drop_database(name)
        for db in dbs:
            await db.close()
