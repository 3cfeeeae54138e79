"""Connections counted in Redis expire on Redis's clock, not the processes': a node whose clock
is off neither keeps its connections alive past their time for the others nor has them
dropped early by the others."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator

import pytest

from ezchat.adapters.redis.client import make_client
from ezchat.adapters.redis.presence import RedisConnectionCounter

pytestmark = pytest.mark.gen_test(timeout=30)


@contextlib.contextmanager
def clock_off_by(monkeypatch: pytest.MonkeyPatch, skew_s: float) -> Iterator[None]:
    """This process's clock, wrong by ``skew_s``, for what runs inside."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + skew_s)
    try:
        yield
    finally:
        monkeypatch.setattr(time, "time", real)


@pytest.mark.parametrize("skew_s", [-86_400.0, 86_400.0])
async def test_a_node_with_a_wrong_clock_is_counted_on_redis_time_by_the_others(
    redis_url, monkeypatch, skew_s
):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    wrong = RedisConnectionCounter(make_client(redis_url), prefix=prefix, ttl_s=1.0)
    right = RedisConnectionCounter(make_client(redis_url), prefix=prefix, ttl_s=1.0)
    try:
        with clock_off_by(monkeypatch, skew_s):
            assert await wrong.opened("alice", "on-the-wrong-node") == 1
        assert await right.count("alice") == 1  # not dropped early by a node whose clock is right
        assert await right.opened("alice", "on-the-right-node") == 2
        wrong._mine.clear()  # the wrong node dies: nothing refreshes its connection
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while await right.count("alice") > 1 and loop.time() < deadline:
            await asyncio.sleep(0.1)
        # ~ttl_s later the dead node's connection is gone (it used to live on for as long as
        # that node's clock was ahead): closing the last live one leaves none.
        assert await right.closed("alice", "on-the-right-node") == 0
    finally:
        await wrong.aclose()
        await right.aclose()
