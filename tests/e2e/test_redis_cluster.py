"""Several processes over a real Redis Cluster (three masters, made by ``redis-cli --cluster
create``): events cross processes through sharded pub/sub, limits and presence count in the
cluster, and a restart of the node holding the events channel is survived."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e.processes import new_group, post, register
from tests.e2e.test_cluster_limits import status_of
from tests.e2e.test_scaleout import across, cluster, ws_url
from tests.e2e.wsclient import Ws
from tests.redis_server import RedisCluster

pytestmark = pytest.mark.gen_test(timeout=90)


@pytest.fixture
def redis_cluster():
    c = RedisCluster()
    yield c
    c.stop()


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as resp:
            return json.loads(resp.read())["checks"]["broker"] == "ok"
    except urllib.error.HTTPError:
        return False


async def test_events_limits_and_presence_cross_processes_over_a_cluster(tmp_path, redis_cluster):
    a, b = cluster(tmp_path, redis_cluster.url, MESSAGE_RATE_PER_SEC="0.001", MESSAGE_BURST="6")
    ta, _, cid, _ = await across(a, b, "across shards")
    path = f"/api/conversations/{cid}/messages"
    statuses = [
        status_of(s.base, "POST", path, {"client_id": f"r{i}", "text": "x"}, ta)
        for i, s in enumerate([a, b] * 4)
    ]
    assert statuses.count(201) == 5 and statuses.count(429) == 3, statuses  # 6 in all, 1 used
    with urllib.request.urlopen(b.base + "/health", timeout=5) as resp:
        checks = json.loads(resp.read())["checks"]
    assert checks == {"storage": "ok", "broker": "ok", "limits": "shared"}


async def test_a_restart_of_the_node_holding_the_events_channel_is_survived(
    tmp_path, redis_cluster
):
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a, b = cluster(tmp_path, redis_cluster.url, REDIS_PREFIX=prefix)
    alice, ta = register(a.base, "alice")
    bob, tb = register(a.base, "bob")
    cid = new_group(a.base, ta, bob)
    bob_on_b = await Ws.connect(ws_url(b), tb)
    node = redis_cluster.node_of(f"{prefix}:events")
    node.stop()
    post(a.base, ta, cid, "d1", "while the node is down")  # stored; the event may not cross
    node.start()
    redis_cluster.wait_ok()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 45
    while not (healthy(a.base) and healthy(b.base)):
        assert loop.time() < deadline, "the bus did not come back"
        await asyncio.sleep(0.2)
    for i in range(60):  # once subscribed again, events cross again
        post(a.base, ta, cid, f"after{i}", f"after {i}")
        try:
            await bob_on_b.expect(
                "message.new",
                lambda f: f["payload"]["message"]["text"].startswith("after"),
                timeout=1,
            )
            break
        except (AssertionError, TimeoutError):
            assert loop.time() < deadline, "no event crossed after the restart"


async def test_conversation_channels_spread_over_the_shards(tmp_path, redis_cluster):
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a, b = cluster(tmp_path, redis_cluster.url, REDIS_PREFIX=prefix)
    alice, ta = register(a.base, "alice")
    bob, tb = register(a.base, "bob")
    bob_on_b = await Ws.connect(ws_url(b), tb)
    groups = [new_group(a.base, ta, bob, name=f"g{i}") for i in range(12)]
    for i, cid in enumerate(groups):
        post(a.base, ta, cid, f"s{i}", f"shard {i}")
    got: set[str] = set()
    while len(got) < len(groups):
        frame = await bob_on_b.expect("message.new", timeout=10)
        got.add(frame["payload"]["message"]["conversation_id"])
    assert got == set(groups)
    held = {}
    for node in redis_cluster.nodes:
        out = subprocess.run(
            ["redis-cli", "-p", str(node.port), "pubsub", "shardchannels", f"{prefix}:c:*"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
        held[node.port] = len(out)
    assert sum(held.values()) == len(groups), held
    assert sum(1 for n in held.values() if n) >= 2, held  # 12 channels on one of 3: 1 in 3^11
