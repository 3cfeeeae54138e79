import pytest

from ezchat.config import ConfigError, load_config, secret_key

README_VARIABLES = {
    "MONGODB_MAX_POOL_SIZE": ("50", "mongodb_max_pool_size", 50),
    "MONGODB_MIN_POOL_SIZE": ("5", "mongodb_min_pool_size", 5),
    "MONGODB_MAX_IDLE_TIME_MS": ("1000", "mongodb_max_idle_time_ms", 1000),
    "MONGODB_SOCKET_TIMEOUT_MS": ("2000", "mongodb_socket_timeout_ms", 2000),
    "MONGODB_CONNECT_TIMEOUT_MS": ("3000", "mongodb_connect_timeout_ms", 3000),
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS": ("4000", "mongodb_server_selection_timeout_ms", 4000),
    "USER_CACHE_SIZE": ("10", "user_cache_size", 10),
    "USER_CACHE_TTL": ("7.5", "user_cache_ttl", 7.5),
    "MESSAGE_CACHE_SIZE": ("20", "message_cache_size", 20),
    "MESSAGE_CACHE_TTL": ("30", "message_cache_ttl", 30.0),
    "DB_CONCURRENCY_LIMIT": ("3", "db_concurrency_limit", 3),
    "WORKERS": ("1", "workers", 1),
    "DEBUG": ("False", "debug", False),
}


def test_the_shipped_config_yaml_loads_with_development_defaults():
    config = load_config(environ={})
    assert config.port == 8000 and config.debug is True
    assert config.bind_host == "127.0.0.1"
    assert config.storage == "sqlite"


@pytest.mark.parametrize("variable", sorted(README_VARIABLES))
def test_every_variable_of_the_product_readme_is_read(variable):
    raw, key, expected = README_VARIABLES[variable]
    assert getattr(load_config(environ={variable: raw}), key) == expected


def test_production_binds_every_interface_unless_host_is_set():
    assert load_config(environ={"DEBUG": "false"}).bind_host == "0.0.0.0"
    assert load_config(environ={"DEBUG": "0", "HOST": "10.1.2.3"}).bind_host == "10.1.2.3"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"USER_CACHE_TTL": "-1"}, "USER_CACHE_TTL"),
        ({"DB_CONCURRENCY_LIMIT": "0"}, "DB_CONCURRENCY_LIMIT"),
        ({"MONGODB_MAX_POOL_SIZE": "1.5"}, "MONGODB_MAX_POOL_SIZE"),
        ({"STORAGE": "oracle"}, "STORAGE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"PASSWORD_HASH_N": "1000"}, "PASSWORD_HASH_N"),
        ({"MONGODB_MIN_POOL_SIZE": "200"}, "MONGODB_MIN_POOL_SIZE"),
        ({"WORKERS": "4"}, "WORKERS"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(environ, named):
    with pytest.raises(ConfigError) as err:
        load_config(environ=environ)
    assert named in str(err.value)


def test_unknown_keys_in_the_file_are_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("port: 1\nprot: 2\n")
    with pytest.raises(ConfigError, match="prot"):
        load_config(path, environ={})


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("port: 1234\nmax_message_length: 10\n")
    config = load_config(path, environ={"MAX_MESSAGE_LENGTH": "20"})
    assert (config.port, config.max_message_length) == (1234, 20)


def test_a_generated_secret_is_kept_in_the_data_dir_across_starts(tmp_path):
    config = load_config(environ={"DATA_DIR": str(tmp_path)})
    first = secret_key(config)
    assert len(first) >= 32
    assert secret_key(load_config(environ={"DATA_DIR": str(tmp_path)})) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert secret_key(load_config(environ={"SECRET_KEY": "given"})) == "given"


def test_the_event_loop_is_auto_asyncio_or_uvloop():
    from ezchat.entry.main import event_loop

    assert load_config(environ={}).event_loop == "auto"
    assert event_loop(load_config(environ={})) == "uvloop"  # installed here, as it is a dependency
    assert event_loop(load_config(environ={"EVENT_LOOP": "asyncio"})) == "asyncio"
    assert load_config(environ={"EVENT_LOOP": "uvloop"}).event_loop == "uvloop"
    with pytest.raises(ConfigError, match="EVENT_LOOP"):
        load_config(environ={"EVENT_LOOP": "trio"})


def test_processes_starting_together_end_up_with_one_secret(tmp_path):
    import concurrent.futures

    config = load_config(environ={"DATA_DIR": str(tmp_path)})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: secret_key(config), range(32)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_the_data_directory_is_made_private_before_a_secret_is_written_into_it(tmp_path):
    import os
    import stat

    data = tmp_path / "fresh" / "data"
    config = load_config(environ={"DATA_DIR": str(data)})
    old = os.umask(0o022)
    try:
        secret_key(config)
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
