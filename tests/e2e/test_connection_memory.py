"""Nothing of a closed connection stays reachable: after clients connect, talk and close, the
server's connection objects and handlers are garbage, whatever they took part in."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=60)


async def test_closed_connections_leave_nothing_reachable(running):
    api = Api(running.base)
    hub = running.app.hub
    _, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    cid = (
        await api.call(
            "POST",
            "/api/conversations",
            {"type": "group", "name": "g", "member_ids": [bob["id"]]},
            token=ta,
        )
    ).body["id"]
    refs = []
    for round_ in range(3):
        clients = [await Ws.connect(running.ws_base, t) for t in (ta, tb) * 10]
        for conn in hub.connections:
            refs.append(weakref.ref(conn))
            refs.append(weakref.ref(conn.socket))
        del conn  # the test's own reference
        # Each takes part: a send, its fan-out, typing, a sync, a ping.
        sender = clients[0]
        ack = await sender.request(
            "message.send", {"conversation_id": cid, "client_id": f"r{round_}", "text": "hi"}
        )
        assert ack["type"] == "ack"
        await sender.request("typing", {"conversation_id": cid, "is_typing": True})
        await clients[1].request("sync", {"conversations": {cid: 0}})
        await clients[1].request("ping", {})
        for c in clients:
            await c.expect("message.new")
        for c in clients:
            c.close()
        for _ in range(200):
            if hub.connection_count == 0:
                break
            await asyncio.sleep(0.02)
        assert hub.connection_count == 0
    await asyncio.sleep(0.1)  # closing callbacks run
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert alive == [], [type(o).__name__ for o in alive]
    assert len(refs) == 3 * 20 * 2
    api.http.close()
