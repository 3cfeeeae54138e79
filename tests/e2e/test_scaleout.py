"""Several server processes sharing one store and one Redis: events, cache invalidation and
presence cross processes; a Redis outage is survived; WORKERS pre-forks."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e.processes import ServerProcess, call, new_group, post, register
from tests.e2e.wsclient import Ws
from tests.redis_server import RedisServer

pytestmark = pytest.mark.gen_test(timeout=60)


def cluster(tmp_path, redis_url: str, count: int = 2, **env: str) -> list[ServerProcess]:
    shared = {
        "STORAGE": "sqlite",
        "SECRET_KEY": "shared-secret",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}",
        "PRESENCE_GRACE_S": "0.5",
        "RECEIPT_FLUSH_MS": "50",
        **env,
    }
    servers = [ServerProcess(tmp_path, **shared) for _ in range(count)]
    for s in servers:
        s.wait_ready()
    return servers


def ws_url(server: ServerProcess) -> str:
    return f"ws://127.0.0.1:{server.port}/ws"


async def across(a: ServerProcess, b: ServerProcess, text: str) -> tuple[str, str, str, Ws]:
    """Alice on ``b`` sends ``text`` to a group; bob, connected to ``a``, gets it. Returns
    alice's token, bob's token, the group's id and alice's connection."""
    alice, ta = register(a.base, "alice")
    bob, tb = register(a.base, "bob")
    cid = new_group(a.base, ta, bob)
    bob_on_a = await Ws.connect(ws_url(a), tb)
    alice_on_b = await Ws.connect(ws_url(b), ta)
    ack = await alice_on_b.request(
        "message.send", {"conversation_id": cid, "client_id": "1", "text": text}
    )
    assert ack["type"] == "ack"
    got = await bob_on_a.expect("message.new")
    assert got["payload"]["message"]["text"] == text
    return ta, tb, cid, alice_on_b


async def test_a_message_sent_through_one_process_reaches_a_user_on_another(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url)
    try:
        ta, tb, cid, alice_on_b = await across(a, b, "across")
        # And back, over REST this time.
        post(a.base, tb, cid, "2", "back")
        got = await alice_on_b.expect(
            "message.new", lambda f: f["payload"]["message"]["text"] == "back"
        )
        assert got["payload"]["message"]["seq"] == 2
        # Each process counts the events that crossed from the other.
        for s in (a, b):
            with urllib.request.urlopen(f"{s.base}/metrics", timeout=5) as resp:
                metrics = resp.read().decode()
            counted = {
                name: float(line.split()[-1])
                for line in metrics.splitlines()
                for name in ("received", "relevant")
                if line.startswith(f"ezchat_bus_events_{name}_total")
            }
            # Each had a recipient connected here (alice on b, bob on a): all were relevant.
            assert 0 < counted["relevant"] <= counted["received"], metrics
    finally:
        for s in (a, b):
            s.stop()


async def test_a_member_removed_through_one_process_stops_receiving_and_sending_on_another(
    tmp_path, redis_url
):
    a, b = cluster(tmp_path, redis_url)
    try:
        alice, ta = register(a.base, "alice")
        carol, tc = register(a.base, "carol")
        dave, td = register(a.base, "dave")
        cid = new_group(a.base, ta, carol, dave)
        carol_on_b = await Ws.connect(ws_url(b), tc)
        dave_on_b = await Ws.connect(ws_url(b), td)
        # Carol is active on B, so B caches the conversation and her membership.
        ack = await carol_on_b.request(
            "message.send", {"conversation_id": cid, "client_id": "c1", "text": "hi"}
        )
        assert ack["type"] == "ack"
        call(a.base, "DELETE", f"/api/conversations/{cid}/members/{carol['id']}", token=ta)
        removed = await carol_on_b.expect("member.removed")
        assert removed["payload"]["user_id"] == carol["id"]
        post(a.base, ta, cid, "a1", "after")
        await dave_on_b.expect("message.new", lambda f: f["payload"]["message"]["text"] == "after")
        await carol_on_b.barrier()
        assert [
            f for f in carol_on_b.taken("message.new") if f["payload"]["message"]["text"] == "after"
        ] == []
        refused = await carol_on_b.request(
            "message.send", {"conversation_id": cid, "client_id": "c2", "text": "still?"}
        )
        assert refused["type"] == "error" and refused["payload"]["code"] == "not_found"
    finally:
        for s in (a, b):
            s.stop()


async def test_presence_crosses_processes_without_flapping(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url, PRESENCE_GRACE_S="2")
    try:
        alice, ta = register(a.base, "alice")
        bob, tb = register(a.base, "bob")
        new_group(a.base, ta, bob)
        alice_on_b = await Ws.connect(ws_url(b), ta)
        bob_on_a = await Ws.connect(ws_url(a), tb)
        online = await alice_on_b.expect("presence", lambda f: f["payload"]["user_id"] == bob["id"])
        assert online["payload"]["status"] == "online"
        # Bob moves to the other process within the grace period: no offline in between.
        bob_on_b = await Ws.connect(ws_url(b), tb)
        bob_on_a.close()
        await asyncio.sleep(2.5)  # past the grace period, which is what is under test
        await alice_on_b.barrier()
        assert [
            f for f in alice_on_b.taken("presence") if f["payload"]["status"] == "offline"
        ] == []
        assert call(a.base, "GET", f"/api/users/{bob['id']}", token=ta)["status"] == "online"
        bob_on_b.close()
        offline = await alice_on_b.expect(
            "presence", lambda f: f["payload"]["status"] == "offline", timeout=10
        )
        assert offline["payload"]["user_id"] == bob["id"]
    finally:
        for s in (a, b):
            s.stop()


async def test_a_redis_restart_is_survived_and_reported(tmp_path):
    redis = RedisServer()
    try:
        a, b = cluster(tmp_path, redis.url)
        try:
            alice, ta = register(a.base, "alice")
            bob, tb = register(a.base, "bob")
            cid = new_group(a.base, ta, bob)
            bob_on_a = await Ws.connect(ws_url(a), tb)
            bob_on_b = await Ws.connect(ws_url(b), tb)
            redis.stop()
            health: dict = {}
            try:
                urllib.request.urlopen(a.base + "/health", timeout=5)
                status = 200
            except urllib.error.HTTPError as exc:
                status, health = exc.code, json.loads(exc.read())
            assert status == 503 and health["checks"]["broker"] == "unavailable"
            # The process keeps serving its own clients, and the message is stored.
            post(a.base, ta, cid, "d1", "during")
            await bob_on_a.expect(
                "message.new", lambda f: f["payload"]["message"]["text"] == "during"
            )
            redis.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while loop.time() < deadline:
                try:
                    urllib.request.urlopen(b.base + "/health", timeout=5)
                    urllib.request.urlopen(a.base + "/health", timeout=5)
                    break
                except urllib.error.HTTPError:
                    await asyncio.sleep(0.2)
            else:
                raise AssertionError("the bus did not reconnect")
            post(a.base, ta, cid, "d2", "after")
            got = await bob_on_b.expect(
                "message.new", lambda f: f["payload"]["message"]["text"] == "after", timeout=10
            )
            assert got["payload"]["message"]["seq"] == 2
            # What B missed meanwhile, its client recovers with sync.
            reply = await bob_on_b.request("sync", {"conversations": {cid: 0}})
            texts = [m["text"] for m in reply["payload"]["conversations"][cid]["messages"]]
            assert texts == ["during", "after"]
        finally:
            for s in (a, b):
                s.stop()
    finally:
        redis.stop()


async def test_workers_pre_fork_and_every_worker_serves_and_delivers(tmp_path, redis_url):
    server = ServerProcess(
        tmp_path,
        WORKERS="2",
        STORAGE="sqlite",
        SECRET_KEY="w",
        REDIS_URL=redis_url,
        REDIS_PREFIX=f"w{uuid.uuid4().hex[:10]}",
        LOG_LEVEL="WARNING",
        # The kernel may hand many connections in a row to one worker: room for all of them.
        MAX_CONNECTIONS_PER_USER="100",
    )
    try:
        server.wait_ready()
        alice, ta = register(server.base, "alice")
        bob, tb = register(server.base, "bob")
        cid = new_group(server.base, ta, bob)

        def connections_by_worker() -> dict[int, int]:
            seen: dict[int, int] = {}
            for _ in range(60):
                report = call(server.base, "GET", "/api/system", token=ta)
                seen[report["process"]["pid"]] = report["ezchat"]["connections"]
                if len(seen) == 2:
                    break
            return seen

        bobs = []
        for _ in range(80):  # until the kernel has handed connections to both workers
            bobs.append(await Ws.connect(ws_url(server), tb))
            if len(bobs) >= 4:
                seen = connections_by_worker()
                if len(seen) == 2 and all(seen.values()):
                    break
        seen = connections_by_worker()
        assert len(seen) == 2 and all(seen.values()), seen
        post(server.base, ta, cid, "w1", "to all")
        for ws in bobs:
            got = await ws.expect("message.new")
            assert got["payload"]["message"]["text"] == "to all"
    finally:
        server.stop()
