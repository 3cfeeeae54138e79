"""The Mongo client is built from the product's variables, for both drivers."""

import pytest

from ezchat.adapters.mongo import mongo_database
from ezchat.config import ConfigError, load_config


@pytest.mark.gen_test
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
            "MONGODB_READ_PREFERENCE": "secondaryPreferred",
            "MONGODB_MAX_STALENESS_S": "120",
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
        # Acks wait for a majority, journaled, by default; reads default to the primary.
        assert db.client.write_concern.document == {"w": "majority", "j": True, "wtimeout": 10000}
        assert db.client.read_preference.mode == 0  # primary
        assert db.history_reads.mongos_mode == "secondaryPreferred"
        assert db.history_reads.max_staleness == 120
        expected = "AsyncMongoClient" if driver == "pymongo" else "AsyncIOMotorClient"
        assert type(db.client).__name__ == expected
    finally:
        await db.close()


def test_write_concern_and_read_preference_settings_are_checked():
    for env, name in (
        ({"MONGODB_WRITE_CONCERN": "0"}, "MONGODB_WRITE_CONCERN"),
        ({"MONGODB_WRITE_CONCERN": "most"}, "MONGODB_WRITE_CONCERN"),
        ({"MONGODB_READ_PREFERENCE": "any"}, "MONGODB_READ_PREFERENCE"),
        ({"MONGODB_MAX_STALENESS_S": "30", "MONGODB_READ_PREFERENCE": "nearest"}, "STALENESS"),
        ({"MONGODB_MAX_STALENESS_S": "120"}, "STALENESS"),  # with primary
    ):
        with pytest.raises(ConfigError, match=name):
            load_config(environ=env)
    assert load_config(environ={"MONGODB_WRITE_CONCERN": "2"}).mongodb_write_concern == "2"
