"""Scheduled messages (issue 27, item 4) over REST and WebSocket, on SQLite and nx-27017:
checked when scheduled, sent at their time as if sent then (within a second), edited and
cancelled while they wait, a refusal kept as the item's error, one message from two servers,
and one after a SIGKILL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from ezchat.domain import scheduled
from tests.e2e.conftest import Api
from tests.e2e.processes import ServerProcess, call, new_group
from tests.e2e.processes import register as register_sync
from tests.e2e.test_threads import register, storage_overrides
from tests.e2e.wsclient import Ws

FAST = {"scheduled_poll_s": 0.05}


def ahead(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def soon(monkeypatch):
    """Items may be due one second ahead instead of ten, so that the tests do not wait."""
    monkeypatch.setattr(scheduled, "MIN_AHEAD", timedelta(seconds=1))


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_a_scheduled_message_waits_can_change_and_goes_at_its_time(
    request, start_server, storage, soon
):
    running = await start_server(**storage_overrides(request, storage, "sch"), **FAST)
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    _, d = await register(api, "dan")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    path = f"/api/conversations/{team}/messages"
    when = ahead(2)
    r = await api.call("POST", path, {"client_id": "s1", "text": "later", "send_at": when}, token=a)
    assert r.status == 202, r.body
    item = r.body["scheduled"]
    assert (item["state"], item["error"], item["text"]) == ("pending", None, "later")
    again = await api.call("POST", path, {"client_id": "s1", "text": "x", "send_at": when}, token=a)
    assert again.status == 200 and again.body["scheduled"]["id"] == item["id"]
    ws_a = await Ws.connect(running.ws_base, a, header=True)
    ack = await ws_a.request(
        "message.send",
        {"conversation_id": team, "client_id": "s2", "text": "by socket", "send_at": ahead(30)},
    )
    assert ack["type"] == "ack" and ack["payload"]["scheduled"]["state"] == "pending", ack
    socket_item = ack["payload"]["scheduled"]["id"]
    listed = await api.call("GET", "/api/scheduled", token=a)
    assert [s["id"] for s in listed.body["scheduled"]] == [item["id"], socket_item]
    assert (await api.call("GET", "/api/scheduled", token=b)).body["scheduled"] == []

    # Changing and cancelling while they wait; nobody else's to touch.
    r = await api.call("PATCH", f"/api/scheduled/{item['id']}", {"text": "later, edited"}, token=a)
    assert r.status == 200 and r.body["scheduled"]["text"] == "later, edited", r.body
    assert (await api.call("PATCH", f"/api/scheduled/{item['id']}", {"text": "x"},
                           token=b)).status == 404  # fmt: skip
    assert (await api.call("DELETE", f"/api/scheduled/{socket_item}", token=b)).status == 404
    assert (await api.call("DELETE", f"/api/scheduled/{socket_item}", token=a)).status == 204
    assert (await api.call("DELETE", f"/api/scheduled/{socket_item}", token=a)).status == 404

    ws_b = await Ws.connect(running.ws_base, b, header=True)
    heard = await ws_b.expect("message.new", timeout=10)
    m = heard["payload"]["message"]
    assert (m["text"], m["sender_id"], m["client_id"]) == ("later, edited", a_id, "s1")
    late = (parse(m["created_at"]) - parse(item["send_at"])).total_seconds()
    assert 0 <= late < 1.0, late  # as if sent then, within a second of its time
    deadline = time.monotonic() + 5  # it leaves the list just after the send
    while (await api.call("GET", "/api/scheduled", token=a)).body["scheduled"]:
        assert time.monotonic() < deadline, "a sent item stayed listed"
        await asyncio.sleep(0.05)

    async def refused(body, token=a):
        r = await api.call("POST", path, {"client_id": "bad", "text": "t", **body}, token=token)
        return r.status, (r.body or {}).get("error", {}).get("field")

    assert await refused({"send_at": "2030-01-01T00:00:00"}) == (400, "send_at")  # no offset
    assert await refused({"send_at": "soon"}) == (400, "send_at")
    assert await refused({"send_at": ahead(0.2)}) == (400, "send_at")
    assert await refused({"send_at": ahead(400 * 86400)}) == (400, "send_at")
    assert await refused({"send_at": ahead(60), "reply_to": "nope"}) == (400, "reply_to")
    assert (await refused({"send_at": ahead(60)}, token=d))[0] == 404
    fwd = {"send_at": ahead(60), "text": "", "forward_of": {"conversation_id": team,
                                                           "message_id": m["id"]}}  # fmt: skip
    assert (await refused(fwd))[0] == 400
    assert (await api.call("PATCH", f"/api/scheduled/{item['id']}", {"text": "gone"},
                           token=a)).status == 404  # fmt: skip


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_a_refusal_when_due_is_kept_and_an_edit_tries_again(
    request, start_server, storage, soon
):
    running = await start_server(**storage_overrides(request, storage, "scr"), **FAST)
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    r = await api.call(
        "POST",
        f"/api/conversations/{team}/messages",
        {"client_id": "b1", "text": "from ben", "send_at": ahead(1.5)},
        token=b,
    )
    assert r.status == 202, r.body  # fmt: skip
    sid = r.body["scheduled"]["id"]
    # Ben leaves before it is due: it must not go.
    assert (await api.call("DELETE", f"/api/conversations/{team}/members/{b_id}",
                           token=a)).status in (200, 204)  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        (kept,) = (await api.call("GET", "/api/scheduled", token=b)).body["scheduled"]
        if kept["state"] == "failed":
            break
        assert time.monotonic() < deadline, kept
        await asyncio.sleep(0.05)
    assert kept["error"].startswith("not_found:"), kept
    history = await api.call("GET", f"/api/conversations/{team}/messages", token=a)
    assert [m["text"] for m in history.body["messages"]] == []
    # Back in the group, a new time makes it go.
    await api.call("POST", f"/api/conversations/{team}/members", {"user_id": b_id}, token=a)
    r = await api.call("PATCH", f"/api/scheduled/{sid}", {"send_at": ahead(1.2)}, token=b)
    assert r.status == 200 and r.body["scheduled"]["state"] == "pending", r.body
    deadline = time.monotonic() + 10
    while not (await api.call("GET", f"/api/conversations/{team}/messages", token=a)).body[
        "messages"
    ]:
        assert time.monotonic() < deadline, "the edited item never went"
        await asyncio.sleep(0.05)
    while (await api.call("GET", "/api/scheduled", token=b)).body["scheduled"]:
        assert time.monotonic() < deadline, "a sent item stayed listed"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_with_two_servers_each_item_is_sent_once(request, start_server, storage, soon):
    # No caches: the two apps share no event bus to keep them coherent (processes share one
    # through Redis, whose invalidation has its own tests).
    overrides = {
        **storage_overrides(request, storage, "sc2"),
        **FAST,
        "query_cache_size": 0,
        "message_cache_size": 0,
    }
    one, two = await start_server(**overrides), await start_server(**overrides)
    api = Api(one.base)
    _, a = await register(api, "ann")
    team = (await api.call("POST", "/api/conversations", {"type": "group", "name": "t"},
                           token=a)).body["id"]  # fmt: skip
    when = ahead(1.5)
    for i in range(8):
        r = await (api if i % 2 else Api(two.base)).call(
            "POST", f"/api/conversations/{team}/messages",
            {"client_id": f"c{i}", "text": f"at once {i}", "send_at": when}, token=a,
        )  # fmt: skip
        assert r.status == 202, r.body
    deadline = time.monotonic() + 15
    while (await api.call("GET", "/api/scheduled", token=a)).body["scheduled"]:
        assert time.monotonic() < deadline, "not all were sent"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a second send would have come by now
    history = await api.call("GET", f"/api/conversations/{team}/messages", token=a)
    texts = sorted(m["text"] for m in history.body["messages"])
    assert texts == sorted(f"at once {i}" for i in range(8))


def test_a_scheduled_message_survives_a_sigkill(tmp_path):
    server = ServerProcess(tmp_path, SCHEDULED_POLL_S="0.05")
    try:
        server.wait_ready()
        base = server.base
        _, ta = register_sync(base, "ann")
        ben, tb = register_sync(base, "ben")
        cid = new_group(base, ta, ben, name="team")
        send_at = ahead(11)  # the contract's minimum is 10 s ahead
        made = call(base, "POST", f"/api/conversations/{cid}/messages",
                    {"client_id": "k1", "text": "after the crash", "send_at": send_at},
                    token=ta)  # fmt: skip
        assert made["scheduled"]["state"] == "pending"
        server.stop()  # SIGKILL, long before it is due
        server = ServerProcess(tmp_path, PORT=str(server.port), SCHEDULED_POLL_S="0.05")
        server.wait_ready()
        deadline = time.monotonic() + 30
        while True:
            messages = call(base, "GET", f"/api/conversations/{cid}/messages", token=tb)["messages"]
            if messages:
                break
            assert time.monotonic() < deadline, "it never went after the restart"
            time.sleep(0.05)
        (m,) = messages
        assert m["text"] == "after the crash"
        late = (parse(m["created_at"]) - parse(send_at)).total_seconds()
        assert 0 <= late < 1.0, late
        while call(base, "GET", "/api/scheduled", token=ta)["scheduled"]:
            assert time.monotonic() < deadline, "a sent item stayed listed"
            time.sleep(0.05)
    finally:
        server.stop()
