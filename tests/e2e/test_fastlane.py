"""The fast lane for newest pages answers exactly as the handler would: for any mix of token,
conversation, query, Origin, request id and method, the answer with the lane on and with it off
has the same status, body and headers (but the date, the time taken and a made-up request id).
It takes the plain request itself, and keep-alive connections carry lane and handler answers
in turn, pipelined too, refusals (401) included."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.conftest import Api, Reply
from tests.support import e2e_examples

ORIGIN = "https://app.example"
SETTINGS = e2e_examples(120)
VARYING = {"Date", "X-Process-Time"}


@dataclass
class Scene:
    api: Api
    lane: Any
    tokens: dict[str, str]
    convs: dict[str, str]
    port: int


@pytest.fixture
def scene(start_server, io_loop) -> Scene:
    async def make() -> Scene:
        running = await start_server(
            allowed_origins=ORIGIN, message_rate_per_sec=10_000.0, message_burst=10_000
        )
        api = Api(running.base)
        alice, ta = await api.register()
        _, tb = await api.register()
        mine = await api.call(
            "POST", "/api/conversations", {"type": "group", "name": "g"}, token=ta
        )
        empty = await api.call(
            "POST", "/api/conversations", {"type": "group", "name": "e"}, token=ta
        )
        for i in range(120):  # more than the cached page holds
            body = {"client_id": f"c{i}", "text": f"m{i} ✓"}
            r = await api.call(
                "POST", f"/api/conversations/{mine.body['id']}/messages", body, token=ta
            )
            assert r.status == 201, r.body
        port = int(running.base.rsplit(":", 1)[1])
        return Scene(
            api,
            running.app.http,
            {"member": ta, "other": tb, "bad": "not.a.token", "none": ""},
            {
                "mine": mine.body["id"],
                "empty": empty.body["id"],
                "missing": "0" * 32,
                "odd": "a%2Fb",
                "long": "x" * 200,
            },
            port,
        )

    return io_loop.run_sync(make)


async def fetch(scene: Scene, method: str, path: str, headers: dict[str, str]) -> Reply:
    return await scene.api.call(method, path, headers=headers)


def comparable(reply: Reply, given_rid: str | None) -> tuple[int, Any, dict[str, str]]:
    headers = {k: v for k, v in reply.headers.get_all() if k not in VARYING}
    if given_rid is None:  # made up by the server: only its presence compares
        assert headers.pop("X-Request-Id")
    for name in VARYING:
        assert name in reply.headers, name
    return reply.status, reply.body, headers


def test_the_lane_answers_as_the_handler_would(scene, io_loop):
    @SETTINGS
    @given(
        who=st.sampled_from(["member", "member", "other", "bad", "none"]),
        conv=st.sampled_from(["mine", "mine", "empty", "missing", "odd", "long"]),
        query=st.sampled_from(
            [
                "",
                "",
                "limit=1",
                "limit=50",
                "limit=100",
                "limit=101",
                "limit=0",
                "limit=007",
                "limit=abc",
                "limit=",
                "before=3",
                "limit=5&after=1",
                "x=1",
                "limit=5&limit=6",
            ]
        ),
        origin=st.sampled_from([None, None, ORIGIN, "https://evil.example"]),
        rid=st.sampled_from([None, None, "trace-1.a", "bad id", "x" * 129]),
        method=st.sampled_from(["GET", "GET", "HEAD"]),
        scheme=st.sampled_from(["Bearer", "Bearer", "bearer", "Basic"]),
    )
    def run(who, conv, query, origin, rid, method, scheme):
        path = f"/api/conversations/{scene.convs[conv]}/messages" + (f"?{query}" if query else "")
        headers = {}
        if scene.tokens[who]:
            headers["Authorization"] = f"{scheme} {scene.tokens[who]}"
        if origin:
            headers["Origin"] = origin
        if rid:
            headers["X-Request-Id"] = rid
        given_rid = rid if rid == "trace-1.a" else None

        async def both():
            scene.lane.enabled = True
            on = await fetch(scene, method, path, headers)
            scene.lane.enabled = False
            off = await fetch(scene, method, path, headers)
            scene.lane.enabled = True
            return on, off

        on, off = io_loop.run_sync(both)
        assert comparable(on, given_rid) == comparable(off, given_rid), (path, headers)

    run()


@pytest.mark.gen_test(timeout=60)
async def test_the_lane_takes_the_plain_request_and_counts_it_as_the_handler(scene):
    served = scene.lane.served
    path = f"/api/conversations/{scene.convs['mine']}/messages?limit=20"
    r = await fetch(scene, "GET", path, {"Authorization": f"Bearer {scene.tokens['member']}"})
    assert r.status == 200 and len(r.body["messages"]) == 20 and r.body["has_more"]
    assert scene.lane.served == served + 1
    metrics = (await scene.api.http.fetch(scene.api.base + "/metrics")).body.decode()
    assert 'handler="MessagesHandler",method="GET",status="2xx"' in metrics


def raw_request(path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, Any]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length"))
    body = await reader.readexactly(length)
    return status, json.loads(body) if body else None


@pytest.mark.gen_test(timeout=60)
async def test_a_keep_alive_connection_carries_lane_and_handler_answers_in_turn(scene):
    token = scene.tokens["member"]
    page = f"/api/conversations/{scene.convs['mine']}/messages"
    requests = [
        (page, token, 200),
        (page, scene.tokens["other"], 404),  # not a member: the handler's answer
        (page, "not.a.token", 401),  # refused in prepare: the connection stays open all the same
        ("/api/users/me", "not.a.token", 401),
        ("/api/users/me", token, 200),
        (page + "?limit=3", token, 200),
        (f"/api/conversations/{scene.convs['missing']}/messages", token, 404),
        (page + "?before=100&limit=2", token, 200),  # not the lane's: the handler's
        (page, token, 200),
    ]
    reader, writer = await asyncio.open_connection("127.0.0.1", scene.port)
    try:
        for path, tok, status in requests:  # one after another
            writer.write(raw_request(path, tok))
            assert (await read_response(reader))[0] == status, path
        writer.write(b"".join(raw_request(p, t) for p, t, _ in requests))  # pipelined
        answers = [await read_response(reader) for _ in requests]
        assert [s for s, _ in answers] == [s for _, _, s in requests]
        paged = next(i for i, (p, _, _) in enumerate(requests) if "before=" in p)
        assert [m["seq"] for m in answers[paged][1]["messages"]] == [98, 99]
    finally:
        writer.close()


async def reads_of_a_refused_page(tmp_path, *, lane: bool) -> int:
    """How often the store is asked for the page of one read it fails every time."""
    from tornado.testing import bind_unused_port

    from ezchat.adapters.memory import memory_stores
    from ezchat.domain.errors import StorageUnavailable
    from ezchat.entry.app import make_app
    from ezchat.entry.main import make_server
    from tests.support import test_config

    stores = memory_stores()
    config = test_config(tmp_path / str(lane), fast_lane=lane)
    app = make_app(config, stores=stores)
    await app.start()
    sock, port = bind_unused_port()
    server = make_server(config, app.http)
    server.add_sockets([sock])
    api = Api(f"http://127.0.0.1:{port}")
    try:
        _, token = await api.register()
        body = {"type": "group", "name": "g"}
        conv = await api.call("POST", "/api/conversations", body, token=token)
        reads = 0

        async def page(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            raise StorageUnavailable("the store is away")

        stores.messages.page = page  # type: ignore[method-assign]
        app.storage.caches.pages.clear()
        r = await api.call("GET", f"/api/conversations/{conv.body['id']}/messages", token=token)
        assert (r.status, r.error) == (503, "unavailable")
        assert app.http.served == 0
        return reads
    finally:
        api.http.close()
        server.stop()
        await app.aclose()


@pytest.mark.gen_test(timeout=60)
async def test_a_read_the_lane_cannot_finish_costs_the_store_what_the_handler_alone_does(tmp_path):
    # The lane hands its failure to the handler, which answers the 503 without reading again
    # (it used to read again: twice the store's attempts for every refused read).
    alone = await reads_of_a_refused_page(tmp_path, lane=False)
    assert alone >= 1
    assert await reads_of_a_refused_page(tmp_path, lane=True) == alone
