"""A Redis Cluster primary killed outright (SIGKILL), with replicas: once its replica is
promoted, events cross processes again in every conversation (those whose shard stayed up and
those whose shard moved), limits are shared again and /health is ok again, within seconds."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.processes import new_group, post, register
from tests.e2e.test_scaleout import cluster, ws_url
from tests.e2e.wsclient import Ws
from tests.redis_server import RedisCluster

pytestmark = pytest.mark.gen_test(timeout=120)

BACK_WITHIN_S = 10.0  # the goal is 5 s after the promotion; measured figures are printed


@pytest.fixture
def replicated_cluster():
    c = RedisCluster(replicas=1, node_timeout_ms=1000)
    yield c
    c.stop()


def checks(base: str) -> dict[str, str]:
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as resp:
            return dict(json.loads(resp.read())["checks"])
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read())["checks"])


async def crosses(sender_base: str, token: str, cid: str, ws: Ws, tag: str, until: float) -> float:
    """Send into ``cid`` through one process until ``ws`` (on the other) gets one: when."""
    loop = asyncio.get_running_loop()
    i = 0
    while True:
        i += 1
        text = f"{tag}-{cid[:8]}-{i}"
        post(sender_base, token, cid, text, text)

        def this_one(frame: dict[str, Any], text: str = text) -> bool:
            return bool(frame["payload"]["message"]["text"] == text)

        try:
            await ws.expect("message.new", this_one, timeout=0.5)
            return time.monotonic()
        except (AssertionError, TimeoutError):
            assert loop.time() < until, f"no event of {cid} crossed ({tag})"


async def test_a_killed_primary_is_survived_once_its_replica_takes_over(
    tmp_path, replicated_cluster
):
    c = replicated_cluster
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a, b = cluster(tmp_path, c.url, REDIS_PREFIX=prefix)
    alice, ta = register(a.base, "alice")
    bob, tb = register(a.base, "bob")
    groups = [new_group(a.base, ta, bob, name=f"g{i}") for i in range(6)]
    bob_on_b = await Ws.connect(ws_url(b), tb)
    loop = asyncio.get_running_loop()
    for cid in groups:
        await crosses(a.base, ta, cid, bob_on_b, "before", loop.time() + 15)
    # The node of the events channel: every process hears it, the worst one to lose.
    victim = c.node_of(f"{prefix}:events")
    victim.kill()
    post(a.base, ta, groups[0], "during", "while the primary is dead")  # stored regardless
    c.wait_promoted(victim)
    promoted = time.monotonic()
    back = [
        await crosses(a.base, ta, cid, bob_on_b, "after", loop.time() + BACK_WITHIN_S)
        for cid in groups
    ]
    while not all(
        checks(s.base) == {"storage": "ok", "broker": "ok", "limits": "shared"} for s in (a, b)
    ):
        assert time.monotonic() - promoted < BACK_WITHIN_S, [checks(s.base) for s in (a, b)]
        await asyncio.sleep(0.1)
    healthy = time.monotonic()
    print(
        f"redis failover: events crossed again {max(back) - promoted:.2f} s after the "
        f"promotion in all {len(groups)} conversations, /health ok after "
        f"{healthy - promoted:.2f} s"
    )
