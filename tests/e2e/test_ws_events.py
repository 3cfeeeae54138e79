"""Real-time delivery over /ws: fan-out, membership, order, idempotency, sync, typing,
receipts, presence and rate limits. Absence is proven with a ping barrier, never a sleep."""

import asyncio

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


@pytest.fixture
def running(start_server, io_loop):
    return io_loop.run_sync(lambda: start_server(receipt_flush_ms=150, presence_grace_s=0.3))


@pytest.fixture
def chat(running, api):
    """Users with connected clients, and a group of them."""

    class Chat:
        async def user(self, name, devices=1):
            user, token = await api.register(name)
            socks = [await Ws.connect(running.ws_base, token) for _ in range(devices)]
            return user, token, socks

        async def group(self, token, *users, name="room"):
            r = await api.call(
                "POST",
                "/api/conversations",
                {"type": "group", "name": name, "member_ids": [u["id"] for u in users]},
                token=token,
            )
            assert r.status == 201, r.body
            return r.body["id"]

    return Chat()


async def send(ws, cid, text, client_id=None, **extra):
    return await ws.request(
        "message.send",
        {"conversation_id": cid, "client_id": client_id or text, "text": text, **extra},
    )


async def test_a_message_reaches_every_device_of_every_member_once(chat):
    alice, ta, (a1, a2) = await chat.user("alice", devices=2)
    bob, tb, (b1,) = await chat.user("bob")
    carol, tc, (c1,) = await chat.user("carol")
    cid = await chat.group(ta, bob)
    ack = await send(a1, cid, "hello")
    assert ack["type"] == "ack" and ack["payload"]["message"]["text"] == "hello"
    mid = ack["payload"]["message"]["id"]
    for ws in (a1, a2, b1):
        new = await ws.expect("message.new")
        assert new["payload"]["message"]["id"] == mid
    for ws in (a1, a2, b1, c1):
        await ws.barrier()
        assert ws.taken("message.new") == []  # exactly once, and nothing to carol


async def test_changes_made_over_rest_are_pushed_like_websocket_ones(chat, api):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    created = await b1.expect("conversation.created")
    conv = created["payload"]["conversation"]
    assert conv["id"] == cid and conv["unread_count"] == 0 and conv["pinned"] is False
    r = await api.call(
        "POST",
        f"/api/conversations/{cid}/messages",
        {"client_id": "r1", "text": "via rest"},
        token=ta,
    )
    mid = r.body["id"]
    assert (await b1.expect("message.new"))["payload"]["message"]["id"] == mid
    await api.call(
        "PATCH", f"/api/conversations/{cid}/messages/{mid}", {"text": "edited"}, token=ta
    )
    upd = await b1.expect("message.updated")
    assert upd["payload"]["message"]["text"] == "edited"
    await api.call(
        "PUT", f"/api/conversations/{cid}/messages/{mid}/reactions/%F0%9F%8E%89", token=tb
    )
    upd = await a1.expect("message.updated", lambda f: f["payload"]["message"]["reactions"])
    assert upd["payload"]["message"]["reactions"] == {"🎉": [bob["id"]]}
    await api.call("DELETE", f"/api/conversations/{cid}/messages/{mid}", token=ta)
    upd = await b1.expect("message.updated", lambda f: f["payload"]["message"]["deleted"])
    assert upd["payload"]["message"]["text"] == ""
    await api.call("PATCH", f"/api/conversations/{cid}", {"name": "renamed"}, token=ta)
    upd = await b1.expect("conversation.updated")
    assert upd["payload"]["conversation"]["name"] == "renamed"


async def test_websocket_edits_deletes_and_reactions_ack_the_message(chat):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    mid = (await send(a1, cid, "draft"))["payload"]["message"]["id"]
    ref = {"conversation_id": cid, "message_id": mid}
    ack = await a1.request("message.edit", {**ref, "text": "final"})
    assert ack["payload"]["message"]["text"] == "final"
    ack = await b1.request("reaction.add", {**ref, "emoji": "👍"})
    assert ack["payload"]["message"]["reactions"] == {"👍": [bob["id"]]}
    ack = await b1.request("reaction.remove", {**ref, "emoji": "👍"})
    assert ack["payload"]["message"]["reactions"] == {}
    err = await b1.request("message.edit", {**ref, "text": "hijack"})
    assert err["type"] == "error" and err["payload"]["code"] == "forbidden"
    ack = await a1.request("message.delete", ref)
    assert ack["payload"]["message"]["deleted"] is True
    revs = [
        f["payload"]["message"]["rev"]
        for f in [await b1.expect("message.updated") for _ in range(4)]
    ]
    assert revs == sorted(revs) and len(set(revs)) == 4


async def test_a_repeated_client_id_acks_the_original_and_emits_nothing(chat):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    first = await send(a1, cid, "once", client_id="dup")
    again = await send(a1, cid, "once", client_id="dup")
    assert again["payload"]["message"] == first["payload"]["message"]
    await b1.barrier()
    assert len(b1.taken("message.new")) == 1


async def test_a_removed_member_gets_nothing_more_and_an_added_member_starts_at_once(chat, api):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    carol, tc, (c1,) = await chat.user("carol")
    cid = await chat.group(ta, bob)
    await api.call("DELETE", f"/api/conversations/{cid}/members/{bob['id']}", token=ta)
    removed = await b1.expect("member.removed")
    assert removed["payload"] == {"conversation_id": cid, "user_id": bob["id"]}
    await api.call("POST", f"/api/conversations/{cid}/members", {"user_id": carol["id"]}, token=ta)
    added = await c1.expect("member.added")
    assert added["payload"] == {"conversation_id": cid, "user_id": carol["id"]}
    await send(a1, cid, "after the change")
    assert (await c1.expect("message.new"))["payload"]["message"]["text"] == "after the change"
    await b1.barrier()
    assert b1.taken("message.new") == []


async def test_each_receiver_sees_messages_in_seq_order(chat):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    carol, tc, (c1,) = await chat.user("carol")
    cid = await chat.group(ta, bob, carol)

    async def burst(ws, who):
        for i in range(12):
            await send(ws, cid, f"{who}{i}")

    await asyncio.gather(burst(a1, "a"), burst(b1, "b"))
    for ws in (a1, b1, c1):
        seqs = [(await ws.expect("message.new"))["payload"]["message"]["seq"] for _ in range(24)]
        assert seqs == list(range(1, 25))


async def test_sync_after_a_reconnect_recovers_exactly_the_server_state(chat, api, running):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    m1 = (await send(a1, cid, "one"))["payload"]["message"]
    m2 = (await send(a1, cid, "two"))["payload"]["message"]
    await b1.expect("message.new")
    last = (await b1.expect("message.new"))["payload"]["message"]
    known = {m1["id"]: m1, m2["id"]: last}
    rev = last["rev"]
    b1.close()
    # While bob is away: a new message, an edit, a delete and a reaction.
    m3 = (await send(a1, cid, "three"))["payload"]["message"]
    await a1.request(
        "message.edit", {"conversation_id": cid, "message_id": m1["id"], "text": "one!"}
    )
    await a1.request("message.delete", {"conversation_id": cid, "message_id": m2["id"]})
    await a1.request(
        "reaction.add", {"conversation_id": cid, "message_id": m3["id"], "emoji": "🔥"}
    )
    b2 = await Ws.connect(running.ws_base, tb)
    cursor, more = rev, True
    while more:
        reply = await b2.request("sync", {"conversations": {cid: cursor}, "limit": 2})
        state = reply["payload"]["conversations"][cid]
        revs = [m["rev"] for m in state["messages"]]
        assert revs == sorted(revs) and all(r > cursor for r in revs)
        for m in state["messages"]:
            known[m["id"]] = m
        cursor, more = state["rev"], state["has_more"]
    server = await api.call("GET", f"/api/conversations/{cid}/messages", token=tb)
    assert sorted(known.values(), key=lambda m: m["seq"]) == server.body["messages"]
    assert cursor == (await api.call("GET", f"/api/conversations/{cid}", token=tb)).body["rev"]


async def test_sync_reports_conversations_the_user_cannot_see(chat):
    alice, ta, (a1,) = await chat.user("alice")
    reply = await a1.request("sync", {"conversations": {"nope": 0}})
    state = reply["payload"]["conversations"]["nope"]
    assert state["messages"] == [] and state["error"]["code"] == "not_found"
    err = await a1.request("sync", {"conversations": {"nope": -1}})
    assert err["type"] == "error"


async def test_typing_goes_to_the_others_only_and_is_throttled(chat):
    alice, ta, (a1, a2) = await chat.user("alice", devices=2)
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    for _ in range(3):
        ack = await a1.request("typing", {"conversation_id": cid, "is_typing": True})
        assert ack["type"] == "ack"
    await a1.request("typing", {"conversation_id": cid, "is_typing": False})
    await b1.barrier()
    forwarded = [f["payload"] for f in b1.taken("typing")]
    assert forwarded == [
        {"conversation_id": cid, "user_id": alice["id"], "is_typing": True},
        {"conversation_id": cid, "user_id": alice["id"], "is_typing": False},
    ]
    for ws in (a1, a2):
        await ws.barrier()
        assert ws.taken("typing") == []


async def test_a_typist_who_disconnects_is_shown_as_stopped(chat):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    await a1.request("typing", {"conversation_id": cid, "is_typing": True})
    await b1.expect("typing", lambda f: f["payload"]["is_typing"])
    a1.close()
    stopped = await b1.expect("typing")
    assert stopped["payload"]["is_typing"] is False


async def test_read_pointers_move_forward_and_receipts_are_coalesced(chat, api):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    for i in range(5):
        await send(a1, cid, f"m{i}")
    for seq in (1, 2, 3, 2, 4):
        ack = await b1.request("read", {"conversation_id": cid, "seq": seq})
        assert ack["type"] == "ack"
    first = await a1.expect("receipt")
    assert first["payload"] == {
        "conversation_id": cid,
        "user_id": bob["id"],
        "read_seq": 1,
        "delivered_seq": 1,
    }
    final = await a1.expect("receipt")
    assert final["payload"]["read_seq"] == 4  # the newest, after the window
    await a1.barrier()
    assert a1.taken("receipt") == []
    r = await api.call("GET", f"/api/conversations/{cid}/receipts", token=ta)
    assert {x["user_id"]: x["read_seq"] for x in r.body["receipts"]}[bob["id"]] == 4
    ack = await b1.request("delivered", {"conversation_id": cid, "seq": 5})
    assert ack["type"] == "ack"
    r = await api.call("GET", f"/api/conversations/{cid}/receipts", token=ta)
    bob_receipt = {x["user_id"]: x for x in r.body["receipts"]}[bob["id"]]
    assert (bob_receipt["read_seq"], bob_receipt["delivered_seq"]) == (4, 5)


async def test_presence_online_away_and_offline_after_the_grace_period(chat, api, running):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, _ = await chat.user("bob", devices=0)
    stranger, ts, (s1,) = await chat.user("stranger")
    await chat.group(ta, bob)
    b1 = await Ws.connect(running.ws_base, tb)
    online = await a1.expect("presence", lambda f: f["payload"]["user_id"] == bob["id"])
    assert online["payload"]["status"] == "online" and online["payload"]["last_seen"]
    await b1.request("presence", {"status": "away"})
    away = await a1.expect("presence", lambda f: f["payload"]["user_id"] == bob["id"])
    assert away["payload"]["status"] == "away"
    b1.close()
    offline = await a1.expect("presence", lambda f: f["payload"]["user_id"] == bob["id"])
    assert offline["payload"]["status"] == "offline"
    user = (await api.call("GET", f"/api/users/{bob['id']}", token=ta)).body
    assert user["status"] == "offline" and user["last_seen"]
    await s1.barrier()
    assert [f for f in s1.taken("presence") if f["payload"]["user_id"] == bob["id"]] == []


async def test_a_quick_reconnect_does_not_flap_presence(start_server):
    running = await start_server(presence_grace_s=30)
    api = Api(running.base)
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    await api.call("POST", "/api/contacts", {"user_id": bob["id"]}, token=ta)
    await api.call("POST", f"/api/contacts/{alice['id']}/accept", token=tb)
    a1 = await Ws.connect(running.ws_base, ta)
    b1 = await Ws.connect(running.ws_base, tb)
    await a1.expect("presence", lambda f: f["payload"]["status"] == "online")
    b1.close()
    b2 = await Ws.connect(running.ws_base, tb)
    await b2.barrier()
    await a1.barrier()
    assert a1.taken("presence") == []
    assert (await api.call("GET", f"/api/users/{bob['id']}", token=ta)).body["status"] == "online"
    api.http.close()


async def test_sending_past_the_rate_limit_is_refused_then_flooding_closes_with_4429(start_server):
    running = await start_server(message_rate_per_sec=1, message_burst=3)
    api = Api(running.base)
    alice, ta = await api.register("alice")
    r = await api.call("POST", "/api/conversations", {"type": "group", "name": "g"}, token=ta)
    cid = r.body["id"]
    ws = await Ws.connect(running.ws_base, ta)
    replies = [await send(ws, cid, f"m{i}") for i in range(4)]
    assert [r["type"] for r in replies] == ["ack", "ack", "ack", "error"]
    limited = replies[-1]["payload"]
    assert limited["code"] == "rate_limited" and 0 < limited["retry_after"] <= 1
    rest = await api.call(
        "POST", f"/api/conversations/{cid}/messages", {"client_id": "r", "text": "x"}, token=ta
    )
    assert rest.status == 429 and int(rest.headers["Retry-After"]) >= 1
    for i in range(10):
        ws.send_raw(
            f'{{"type":"message.send","payload":{{"conversation_id":"{cid}","client_id":"f{i}","text":"x"}}}}'
        )
    assert await ws.close_code() == 4429
    api.http.close()


async def test_conversation_created_arrives_before_its_first_message(chat, api):
    alice, ta, (a1,) = await chat.user("alice")
    bob, tb, (b1,) = await chat.user("bob")
    cid = await chat.group(ta, bob)
    await api.call(
        "POST", f"/api/conversations/{cid}/messages", {"client_id": "1", "text": "hi"}, token=ta
    )
    first = await b1.expect(None, lambda f: f["type"] in ("conversation.created", "message.new"))
    assert first["type"] == "conversation.created"
