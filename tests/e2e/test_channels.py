"""The channels a process listens to, against a real Redis: a channel is heard from its
confirmation on and only while wanted, whatever the order of quick changes; a lost connection
reports its channels lost and subscribes them again when Redis is back."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque

import pytest
import redis.asyncio as redis

from ezchat.adapters.redis.channels import Channels, _Connection
from tests.redis_server import RedisServer

pytestmark = pytest.mark.gen_test(timeout=60)


def test_only_the_last_command_of_a_channel_decides_whether_it_is_heard():
    conn = _Connection(None, sharded=False)
    conn.sent["c"] = deque([True, False, True])
    assert conn.confirm("c") is False  # the first subscription: two more commands follow
    assert "c" not in conn.confirmed
    assert conn.confirm("c") is False
    assert conn.confirm("c") is True and "c" in conn.confirmed
    assert conn.confirm("c") is None  # a confirmation nobody asked for


async def until(condition, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("protocol", [2, 3])
async def test_channels_are_heard_from_their_confirmation_and_only_while_wanted(
    redis_url, protocol
):
    got: list[bytes] = []
    lost: list[set[str]] = []
    url = f"{redis_url}?protocol={protocol}"
    channels = Channels(url, on_message=got.append, on_lost=lost.append)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    a, b = f"{prefix}:a", f"{prefix}:b"
    client = redis.Redis.from_url(redis_url)
    await channels.start()
    try:
        await until(lambda: channels._up.is_set())
        await channels.add([a, b])
        assert channels.heard(a) and channels.heard(b)
        await client.publish(a, b"one")
        await until(lambda: got == [b"one"])
        # Quick changes: unsubscribe and subscribe again before either is confirmed.
        channels.remove([a])
        assert not channels.heard(a)
        await channels.add([a])
        assert channels.heard(a)
        channels.remove([b])
        await until(lambda: channels.confirmed_count == 1)
        await client.publish(b, b"not heard")
        await client.publish(a, b"two")
        await until(lambda: got[-1] == b"two")
        assert got == [b"one", b"two"] and lost == []
    finally:
        await channels.aclose()
        await client.aclose()


async def test_a_restart_loses_the_channels_and_they_come_back():
    server = RedisServer()
    got: list[bytes] = []
    lost: list[set[str]] = []
    channels = Channels(server.url, on_message=got.append, on_lost=lost.append)
    client = redis.Redis.from_url(server.url)
    try:
        await channels.start()
        await until(lambda: channels._up.is_set())
        await channels.add(["x", "y"])
        assert channels.heard("x")
        server.stop()
        await until(lambda: lost == [{"x", "y"}])
        assert not channels.heard("x")
        await channels.add(["z"])  # wanted while Redis is away: returns at once
        server.start()
        await until(lambda: channels.heard("x") and channels.heard("y") and channels.heard("z"))
        await client.publish("z", b"back")
        await until(lambda: got == [b"back"])
    finally:
        await channels.aclose()
        await client.aclose()
        server.stop()
