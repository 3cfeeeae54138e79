"""Redis adapters (redis-py's asyncio client): the event bus across processes and nodes, and
connection counts for presence."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ezchat.adapters.memory.limits import LocalRateLimits
from ezchat.adapters.redis.bus import RedisEventBus
from ezchat.adapters.redis.client import make_client
from ezchat.adapters.redis.limits import RedisRateLimits
from ezchat.adapters.redis.once import RedisOneTimeKeys
from ezchat.adapters.redis.presence import RedisConnectionCounter
from ezchat.config import Config
from ezchat.domain.events import Event
from ezchat.ports.limits import Bucket, Window

__all__ = [
    "RedisConnectionCounter",
    "RedisEventBus",
    "RedisOneTimeKeys",
    "RedisRateLimits",
    "redis_bus_and_counter",
    "redis_one_time_keys",
    "redis_rate_limits",
]


def redis_bus_and_counter(
    config: Config,
    *,
    on_remote: Callable[[Event], None],
    on_unheard: Callable[[list[str]], None],
) -> tuple[RedisEventBus, RedisConnectionCounter]:
    """The bus and the presence counter over REDIS_URL, each with its own client; nothing
    connects before ``start()``."""
    assert config.redis_url
    bus = RedisEventBus(
        config.redis_url,
        prefix=config.redis_prefix,
        routing=config.bus_routing,
        on_remote=on_remote,
        on_unheard=on_unheard,
    )
    client = make_client(config.redis_url, socket_connect_timeout=2, socket_timeout=5)
    return bus, RedisConnectionCounter(client, prefix=config.redis_prefix)


def redis_one_time_keys(config: Config) -> RedisOneTimeKeys:
    """One-time keys (WebSocket tickets) over REDIS_URL, with a client of their own."""
    assert config.redis_url
    client = make_client(config.redis_url, socket_connect_timeout=2, socket_timeout=5)
    return RedisOneTimeKeys(client, prefix=config.redis_prefix)


def redis_rate_limits(
    config: Config,
    *,
    buckets: Mapping[str, Bucket],
    windows: Mapping[str, Window],
    local: LocalRateLimits,
) -> RedisRateLimits:
    """Limits counted over REDIS_URL for every process, with a client of their own; ``local``
    counts while Redis cannot be reached."""
    assert config.redis_url
    client = make_client(config.redis_url, socket_connect_timeout=2, socket_timeout=5)
    return RedisRateLimits(
        client, prefix=config.redis_prefix, buckets=buckets, windows=windows, local=local
    )
