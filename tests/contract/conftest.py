"""Every contract test runs against every storage adapter (a parametrized ``stores``): memory,
SQLite, and MongoDB through both drivers, on nx-27017 and, when MONGODB_URL is set, on that
real server."""

from __future__ import annotations

import os
import uuid

import pytest

from ezchat.adapters.memory import memory_stores
from ezchat.adapters.mongo import MongoDatabase, client_options, make_client, stores_over
from ezchat.adapters.sqlite import open_sqlite_stores
from ezchat.entry.storage import wrap_stores
from tests.support import test_config

# "+stack": the adapter inside the whole wrapping the server uses (group commit, caches,
# pointer buffer, guard), which must keep every promise of the bare adapter.
BACKENDS = ["memory", "sqlite", "mongo-motor", "mongo-pymongo", "sqlite+stack", "mongo-motor+stack"]
if os.environ.get("MONGODB_URL"):
    BACKENDS += ["real-mongo-motor", "real-mongo-pymongo"]

OPTIONS = client_options(
    max_pool_size=20,
    min_pool_size=0,
    max_idle_time_ms=60_000,
    socket_timeout_ms=10_000,
    connect_timeout_ms=5_000,
    server_selection_timeout_ms=5_000,
)


@pytest.fixture(params=BACKENDS)
def stores(request, io_loop, tmp_path):
    backend, _, stacked = request.param.partition("+")
    if not stacked:
        yield from _bare(request, backend, io_loop, tmp_path)
        return
    gen = _bare(request, backend, io_loop, tmp_path)
    raw = next(gen)
    stack = wrap_stores(test_config(tmp_path), raw)
    io_loop.run_sync(stack.start)
    yield stack.stores
    io_loop.run_sync(stack.batcher.aclose)
    io_loop.run_sync(stack.pointers.aclose)
    for _ in gen:  # the bare fixture's own clean-up: closing, dropping the database
        pass


def _bare(request, backend, io_loop, tmp_path):
    if backend == "memory":
        opened = memory_stores()
    elif backend == "sqlite":
        opened = io_loop.run_sync(lambda: open_sqlite_stores(tmp_path / "contract.db"))
    else:
        urls = request.getfixturevalue("mongo_urls")
        url = urls["real" if backend.startswith("real-") else "nx"]
        driver = backend.rsplit("-", 1)[1]
        name = f"ezchat_test_{uuid.uuid4().hex[:12]}"

        async def open_mongo():
            db = MongoDatabase(make_client(url, driver, OPTIONS), name)
            s = stores_over(db)
            await s.start()
            return s, db

        opened, db = io_loop.run_sync(open_mongo)

        async def drop_then_close():
            try:
                await db.client.drop_database(name)
            finally:
                await opened.aclose()

        yield opened
        io_loop.run_sync(drop_then_close)
        return
    yield opened
    io_loop.run_sync(opened.aclose)
