"""Threads (issue 27, item 1) over REST and WebSocket, on SQLite and nx-27017: replies join
their root's thread (a reply to a reply too), the root's summary stays exact under replies and
deletes at once (also from two servers on one database), following and unread replies, and a
reply counts as a mention of the thread's followers."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws


async def register(api: Api, name: str) -> tuple[str, str]:
    r = await api.call("POST", "/api/auth/register", {"username": name, "password": "password-1"})
    return r.body["user"]["id"], r.body["token"]


def storage_overrides(request, storage: str, name: str) -> dict:
    if storage != "mongo":
        return {}
    url = request.getfixturevalue("mongo_urls")["nx"]
    return {"storage": "mongo", "mongodb_url": url, "mongodb_db": f"{name}{id(request)}"}


async def send(api, conv, token, cid, text, reply_to=None):
    body = {"client_id": cid, "text": text, **({"reply_to": reply_to} if reply_to else {})}
    r = await api.call("POST", f"/api/conversations/{conv}/messages", body, token=token)
    assert r.status == 201, r.body
    return r.body


async def threads_of(api, token):
    r = await api.call("GET", "/api/threads", token=token)
    assert r.status == 200, r.body
    return {t["root"]["id"]: t for t in r.body["threads"]}


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_replies_make_a_thread_its_followers_hear_and_can_read(
    request, start_server, storage
):
    running = await start_server(**storage_overrides(request, storage, "th"))
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    c_id, c = await register(api, "cat")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id, c_id]},
                           token=a)).body["id"]  # fmt: skip
    root = await send(api, team, a, "r", "plans for friday?")
    assert root["thread_root"] is None
    assert root["thread"] == {"reply_count": 0, "last_reply_at": None, "participants": []}
    ws_c = await Ws.connect(running.ws_base, c, header=True)

    first = await send(api, team, b, "b1", "pizza", reply_to=root["id"])
    assert first["thread_root"] == root["id"] and first["thread"] is None
    # Ann wrote the root and has not said otherwise: the reply addresses her as a mention.
    assert first["mentions"] == [a_id]
    heard = await ws_c.expect(
        "thread.updated", lambda f: f["payload"]["thread"]["reply_count"] == 1
    )
    assert heard["payload"]["message_id"] == root["id"]
    assert heard["payload"]["thread"]["participants"] == [b_id]
    # A reply to the reply joins the root's thread, over the socket too.
    ws_a = await Ws.connect(running.ws_base, a, header=True)
    ack = await ws_a.request(
        "message.send",
        {"conversation_id": team, "client_id": "a1", "text": "yes", "reply_to": first["id"]},
    )
    assert ack["type"] == "ack", ack
    assert ack["payload"]["message"]["thread_root"] == root["id"]
    await ws_c.expect("thread.updated", lambda f: f["payload"]["thread"]["reply_count"] == 2)

    page = await api.call("GET", f"/api/conversations/{team}/messages/{first['id']}/thread",
                          token=c)  # fmt: skip
    assert page.status == 200, page.body
    assert [m["text"] for m in page.body["messages"]] == ["plans for friday?", "pizza", "yes"]
    assert page.body["messages"][0]["thread"]["reply_count"] == 2
    assert page.body["messages"][0]["thread"]["participants"] == [b_id, a_id]
    history = await api.call("GET", f"/api/conversations/{team}/messages", token=c)
    assert history.body["messages"][0]["thread"]["reply_count"] == 2

    # Ann (root author) and Ben (replied) follow; Cat does not, until she asks.
    assert set(await threads_of(api, a)) == {root["id"]}
    assert (await threads_of(api, b))[root["id"]]["unread_count"] == 1  # Ann's answer
    assert await threads_of(api, c) == {}
    follow = f"/api/conversations/{team}/messages/{root['id']}/follow"
    r = await api.call("PUT", follow, token=c)
    assert r.status == 200 and r.body["following"] and r.body["unread_count"] == 0, r.body
    await send(api, team, b, "b2", "with olives", reply_to=root["id"])
    assert (await threads_of(api, c))[root["id"]]["unread_count"] == 1
    read = f"/api/conversations/{team}/messages/{root['id']}/thread/read"
    newest = (await api.call("GET", f"/api/conversations/{team}/messages/{root['id']}/thread",
                             token=c)).body["messages"][-1]  # fmt: skip
    r = await api.call("POST", read, {"seq": newest["seq"]}, token=c)
    assert r.status == 200 and r.body["unread_count"] == 0, r.body
    assert (await threads_of(api, c))[root["id"]]["unread_count"] == 0
    r = await api.call("DELETE", follow, token=a)
    assert r.status == 200 and not r.body["following"]
    assert await threads_of(api, a) == {}
    third = await send(api, team, b, "b3", "and chili", reply_to=root["id"])
    assert a_id not in third["mentions"]  # she stopped following: not addressed any more
    assert await threads_of(api, a) == {}

    # Deleting a reply takes it out of the summary.
    gone = await api.call("DELETE", f"/api/conversations/{team}/messages/{third['id']}", token=b)
    assert gone.status == 204
    await ws_c.expect("thread.updated", lambda f: f["payload"]["thread"]["reply_count"] == 3)

    async def status(method, path, body=None, token=c):
        return (await api.call(method, path, body, token=token)).status

    # Outsiders see nothing; bad input is a 400 in the contract's shape.
    _, d = await register(api, "dan")
    base = f"/api/conversations/{team}/messages"
    assert await status("GET", f"{base}/{root['id']}/thread", token=d) == 404
    assert await status("PUT", f"{base}/{root['id']}/follow", token=d) == 404
    assert await status("GET", f"{base}/nope/thread") == 404
    assert await status("POST", read, {"seq": -1}) == 400
    assert await status("POST", read, {"seq": "x"}) == 400
    assert await status("GET", "/api/threads?cursor=forged") == 400
    assert await status("GET", "/api/threads?limit=0") == 400


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_replies_and_deletes_at_once_from_two_servers_keep_the_count_exact(
    request, start_server, storage
):
    # No caches: the two apps share no event bus to keep them coherent (processes share one
    # through Redis, whose invalidation has its own tests).
    overrides = {
        **storage_overrides(request, storage, "tr"),
        "query_cache_size": 0,
        "message_cache_size": 0,
    }
    one = await start_server(**overrides)
    two = await start_server(**overrides)  # the same database, its own services and locks
    api1, api2 = Api(one.base), Api(two.base)
    a_id, a = await register(api1, "ann")
    b_id, b = await register(api1, "ben")
    team = (await api1.call("POST", "/api/conversations",
                            {"type": "group", "name": "team", "member_ids": [b_id]},
                            token=a)).body["id"]  # fmt: skip
    root = await send(api1, team, a, "r", "root")
    early = [await send(api1, team, b, f"e{i}", "early", reply_to=root["id"]) for i in range(4)]
    jobs = [
        send(api1 if i % 2 else api2, team, a if i % 3 else b, f"x{i}", "at once", root["id"])
        for i in range(12)
    ] + [
        (api1 if i % 2 else api2).call(
            "DELETE", f"/api/conversations/{team}/messages/{m['id']}", token=b
        )
        for i, m in enumerate(early[:3])
    ]
    await asyncio.gather(*jobs)
    for api in (api1, api2):
        page = await api.call(
            "GET", f"/api/conversations/{team}/messages/{root['id']}/thread?limit=100", token=a
        )
        got = page.body["messages"][0]["thread"]
        assert got["reply_count"] == 12 + 1, got
        assert set(got["participants"]) == {a_id, b_id}
