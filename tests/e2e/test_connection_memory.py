"""Nothing of a closed connection stays reachable: after clients connect, talk and close, the
server's connection objects and handlers are freed, whatever they took part in, and by
reference counting alone: a closed connection leaves no cycle for the collector to find (with
the collector run seldom, cycles of thousands of closed connections piled up in memory)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=60)


async def test_closed_connections_leave_nothing_reachable(running):
    gc.collect()
    gc.disable()
    try:
        await closed_connections_leave_nothing(running)
    finally:
        gc.enable()


async def closed_connections_leave_nothing(running):
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
    for _ in range(250):  # closing callbacks run, on a busy machine perhaps late
        if all(r() is None for r in refs):
            break
        await asyncio.sleep(0.02)
    alive = [r() for r in refs if r() is not None]
    assert alive == [], [type(o).__name__ for o in alive]
    assert len(refs) == 3 * 20 * 2
    api.http.close()


async def test_an_open_connection_keeps_neither_its_token_nor_a_dict_of_its_own(running):
    """Past the upgrade a connection holds no copy of the token it came with, and its handler's
    attributes stay within the keys all handlers share (30 or more and each handler's dict
    takes 1.3 KB more)."""
    api = Api(running.base)
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)  # the token in the query string
    (conn,) = list(running.app.hub.connections)
    request = conn.socket.request
    assert token not in request.uri and not request.query and not request.query_arguments
    assert token.encode() not in repr(request.arguments).encode()
    assert len(vars(conn.socket)) < 30, sorted(vars(conn.socket))
    ws.close()
    api.http.close()
