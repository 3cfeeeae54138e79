"""One connection, many frames in flight, on SQLite and MongoDB (nx-27017): sends written back to
back to several conversations are each stored once, in each conversation in the order sent, and
delivered in that order; edits of one message take effect in the order sent; a ping's pong comes
after the replies of every frame before it."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws
from tests.support import e2e_examples

SETTINGS = e2e_examples(15)
_ids = itertools.count(1)


@dataclass
class Scene:
    api: Api
    token: str
    convs: list[str]
    sender: Ws
    reader: Ws


@pytest.fixture(params=["sqlite", "mongo"])
def scene(request, start_server, io_loop) -> Scene:
    overrides: dict[str, Any] = {"message_rate_per_sec": 100_000.0, "message_burst": 100_000}
    if request.param == "mongo":
        overrides |= {
            "storage": "mongo",
            "mongodb_url": request.getfixturevalue("mongo_urls")["nx"],
            "mongodb_db": f"pipe_{uuid.uuid4().hex[:10]}",
        }

    async def make() -> Scene:
        running = await start_server(**overrides)
        api = Api(running.base)
        a, token = await api.register()
        b, b_token = await api.register()
        convs = [await api.direct(token, b["id"])]
        for name in ("g1", "g2"):
            body = {"type": "group", "name": name, "member_ids": [b["id"]]}
            r = await api.call("POST", "/api/conversations", body, token=token)
            assert r.status == 201, r.body
            convs.append(r.body["id"])
        sender = await Ws.connect(running.ws_base, token)
        reader = await Ws.connect(running.ws_base, b_token)
        return Scene(api, token, convs, sender, reader)

    return io_loop.run_sync(make)


def send_frame(ws: Ws, kind: str, payload: dict[str, Any]) -> str:
    frame_id = f"p{next(_ids)}"
    ws.send_raw(json.dumps({"type": kind, "id": frame_id, "payload": payload}))
    return frame_id


async def reply(ws: Ws, frame_id: str) -> dict[str, Any]:
    return await ws.expect(None, lambda f: f.get("id") == frame_id, timeout=15)


def test_sends_in_flight_together_keep_each_conversations_order(scene, io_loop):
    @SETTINGS
    @given(targets=st.lists(st.integers(0, 2), min_size=1, max_size=40))
    def run(targets: list[int]) -> None:
        async def go() -> None:
            sent = []
            for target in targets:
                client_id = uuid.uuid4().hex
                payload = {
                    "conversation_id": scene.convs[target],
                    "client_id": client_id,
                    "text": client_id,
                }
                sent.append((target, client_id, send_frame(scene.sender, "message.send", payload)))
            acked = {}
            for _, client_id, frame_id in sent:
                r = await reply(scene.sender, frame_id)
                assert r["type"] == "ack", r
                acked[client_id] = r["payload"]["message"]
            for target, cid in enumerate(scene.convs):
                in_order = [c for t, c, _ in sent if t == target]
                seqs = [acked[c]["seq"] for c in in_order]
                assert seqs == sorted(set(seqs)), (target, seqs)
                # Stored in that order, each once; and delivered in that order.
                page = await scene.api.call(
                    "GET", f"/api/conversations/{cid}/messages?limit=100", token=scene.token
                )
                stored = [m["text"] for m in page.body["messages"]]
                assert stored[len(stored) - len(in_order) :] == in_order
            await scene.reader.barrier()
            await scene.sender.barrier()
            news = scene.reader.taken("message.new")
            while len(news) < len(sent):
                news.append(await scene.reader.expect("message.new", timeout=5))
            for target, cid in enumerate(scene.convs):
                got = [f["payload"]["message"]["text"] for f in news]
                got = [t for t in got if acked[t]["conversation_id"] == cid]
                assert got == [c for t, c, _ in sent if t == target]
            scene.sender.taken("message.new")

        io_loop.run_sync(go, timeout=60)

    run()


@pytest.mark.gen_test(timeout=60)
async def test_edits_in_flight_together_take_effect_in_the_order_sent(scene):
    cid = scene.convs[1]
    frame_id = send_frame(
        scene.sender, "message.send", {"conversation_id": cid, "client_id": "e0", "text": "v0"}
    )
    message = (await reply(scene.sender, frame_id))["payload"]["message"]
    edits = [
        send_frame(
            scene.sender,
            "message.edit",
            {"conversation_id": cid, "message_id": message["id"], "text": f"v{i}"},
        )
        for i in range(1, 21)
    ]
    revs = []
    for i, frame_id in enumerate(edits, start=1):
        r = await reply(scene.sender, frame_id)
        assert r["type"] == "ack", r
        assert r["payload"]["message"]["text"] == f"v{i}"
        revs.append(r["payload"]["message"]["rev"])
    assert revs == sorted(set(revs))
    page = await scene.api.call("GET", f"/api/conversations/{cid}/messages", token=scene.token)
    assert page.body["messages"][-1]["text"] == "v20"


@pytest.mark.gen_test(timeout=60)
async def test_a_pong_comes_after_the_replies_of_every_frame_before_it(scene):
    ids = [
        send_frame(
            scene.sender,
            "message.send",
            {"conversation_id": scene.convs[i % 3], "client_id": uuid.uuid4().hex, "text": "x"},
        )
        for i in range(30)
    ]
    ping = send_frame(scene.sender, "ping", {})
    replies = []
    while True:
        frame = await scene.sender.expect(None, lambda f: f.get("id") is not None, timeout=15)
        replies.append(frame["id"])
        if frame["id"] == ping:
            break
    assert set(replies[:-1]) == set(ids)
