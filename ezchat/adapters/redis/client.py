"""Redis clients from REDIS_URL: one server (``redis://``, ``rediss://``), or a Redis Cluster
(``redis+cluster://host:port``, any node; ``rediss+cluster://`` with TLS), whose clients route
each key to its shard and whose pub/sub is sharded (SPUBLISH/SSUBSCRIBE, Redis 7)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException, RedisError

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

# What a Redis that is down, restarting or resharding raises: the cluster client's own errors
# (slots not covered yet, say) are not RedisErrors.
REDIS_ERRORS = (RedisError, RedisClusterException, OSError)


def is_cluster(url: str) -> bool:
    return url.split("://", 1)[0] in CLUSTER_SCHEMES


def plain_url(url: str) -> str:
    """The URL as redis-py reads it (the cluster marker taken off)."""
    scheme, sep, rest = url.partition("://")
    return CLUSTER_SCHEMES.get(scheme, scheme) + sep + rest


def make_client(url: str, *, known: Any = None, **options: Any) -> Any:
    """A client of the server or cluster ``url`` names; nothing connects yet. ``known``: a
    cluster client this one replaces: it starts from every node that one knew as well as the
    URL's, so that it finds the cluster even when the URL's node is the one that died."""
    if is_cluster(url):
        seeds = []
        if known is not None:
            seeds = [ClusterNode(n.host, n.port) for n in known.get_nodes()]
        return RedisCluster.from_url(plain_url(url), startup_nodes=seeds or None, **options)
    return redis.Redis.from_url(url, **options)
