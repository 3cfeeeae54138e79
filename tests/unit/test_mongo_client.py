"""The Mongo client is built from the product's variables, for both drivers."""

import pytest

from ezchat.adapters.mongo import mongo_database
from ezchat.config import load_config

pytestmark = pytest.mark.gen_test


@pytest.mark.parametrize("driver", ["motor", "pymongo"])
async def test_pool_and_timeout_settings_from_the_environment_reach_the_client(driver):
    config = load_config(
        environ={
            "STORAGE": "mongo",
            "MONGODB_URL": "mongodb://127.0.0.1:9",  # never contacted: clients connect lazily
            "MONGODB_DRIVER": driver,
            "MONGODB_MAX_POOL_SIZE": "42",
            "MONGODB_MIN_POOL_SIZE": "3",
            "MONGODB_MAX_IDLE_TIME_MS": "7000",
            "MONGODB_SOCKET_TIMEOUT_MS": "2500",
            "MONGODB_CONNECT_TIMEOUT_MS": "1500",
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "900",
        }
    )
    db = mongo_database(config)
    try:
        options = db.client.options
        pool = options.pool_options
        assert (pool.max_pool_size, pool.min_pool_size) == (42, 3)
        assert pool.max_idle_time_seconds == 7
        assert (pool.socket_timeout, pool.connect_timeout) == (2.5, 1.5)
        assert options.server_selection_timeout == 0.9
        assert options.retry_writes and options.retry_reads
        expected = "AsyncMongoClient" if driver == "pymongo" else "AsyncIOMotorClient"
        assert type(db.client).__name__ == expected
    finally:
        await db.close()
