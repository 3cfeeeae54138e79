"""Targeted routing between processes (real Redis, real server processes): a process decodes
the events of the conversations its connected users are in, and no others; one that starts
hearing a conversation because of a membership change misses none of its messages; one that
does not hear a conversation serves it fresh from the store."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from tests.e2e.processes import ServerProcess, call, new_group, post, register
from tests.e2e.test_scaleout import cluster, ws_url
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=60)


def bus_metrics(server: ServerProcess) -> dict[str, float]:
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found = {}
    for line in text.splitlines():
        for name in ("received", "relevant"):
            if line.startswith(f"ezchat_bus_events_{name}_total "):
                found[name] = float(line.split()[-1])
        if line.startswith("ezchat_bus_channels "):
            found["channels"] = float(line.split()[-1])
    return found


@pytest.mark.parametrize("routing", ["conversation", "broadcast"])
async def test_a_process_decodes_only_what_concerns_its_users(tmp_path, redis_url, routing):
    a, b = cluster(tmp_path, redis_url, BUS_ROUTING=routing)
    try:
        alice, ta = register(a.base, "alice")
        bob, tb = register(a.base, "bob")
        carol, tc = register(a.base, "carol")
        among_a = new_group(a.base, ta, carol)  # both members on a
        with_bob = new_group(a.base, ta, bob)
        await Ws.connect(ws_url(a), ta)
        await Ws.connect(ws_url(a), tc)
        bob_on_b = await Ws.connect(ws_url(b), tb)
        post(a.base, ta, with_bob, "w0", "settle")
        await bob_on_b.expect("message.new")
        before = bus_metrics(b)
        for i in range(10):
            post(a.base, ta, among_a, f"a{i}", "not for b")
        post(a.base, ta, with_bob, "w1", "for bob")  # sent last: when it is in, all are
        await bob_on_b.expect("message.new", lambda f: f["payload"]["message"]["text"] == "for bob")
        after = bus_metrics(b)
        decoded = after["received"] - before["received"]
        assert after["relevant"] - before["relevant"] == 1
        if routing == "conversation":
            assert decoded == 1, (before, after)
            assert after["channels"] == 2  # the events channel and bob's group
        else:
            assert decoded == 11, (before, after)
    finally:
        for s in (a, b):
            s.stop()


async def test_messages_right_after_a_membership_change_reach_other_processes(tmp_path, redis_url):
    """A new group, or a member just added, and a message at once: the process of the member
    had not followed the conversation yet when it was sent; it reads it back."""
    a, b = cluster(tmp_path, redis_url)
    try:
        alice, ta = register(a.base, "alice")
        bob, tb = register(a.base, "bob")
        bob_on_b = await Ws.connect(ws_url(b), tb)
        sent = []
        for i in range(10):
            cid = new_group(a.base, ta, bob, name=f"g{i}")
            sent.append(post(a.base, ta, cid, f"n{i}", f"new group {i}")["id"])
            cid = new_group(a.base, ta, name=f"h{i}")
            call(a.base, "POST", f"/api/conversations/{cid}/members", {"user_id": bob["id"]}, ta)
            sent.append(post(a.base, ta, cid, f"m{i}", f"added {i}")["id"])
        got: list[Any] = []
        while len(got) < len(sent):
            frame = await bob_on_b.expect("message.new", timeout=10)
            got.append(frame["payload"]["message"]["id"])
        assert sorted(got) == sorted(sent)  # each once
        await bob_on_b.barrier()
        assert len(bob_on_b.taken("message.new")) == 0
    finally:
        for s in (a, b):
            s.stop()


async def test_a_process_that_does_not_hear_a_conversation_serves_it_fresh(tmp_path, redis_url):
    """No member of the group is connected to b, so b does not hear it: it must not cache it
    (a cached newest page or member list would never learn of changes made on a)."""
    a, b = cluster(tmp_path, redis_url)
    try:
        alice, ta = register(a.base, "alice")
        bob, tb = register(a.base, "bob")
        cid = new_group(a.base, ta, bob)
        path = f"/api/conversations/{cid}/messages"
        for i in range(3):
            assert len(call(b.base, "GET", path, token=tb)["messages"]) == i
            call(b.base, "GET", f"/api/conversations/{cid}", token=tb)
            post(a.base, ta, cid, f"x{i}", f"x{i}")
        m = post(a.base, ta, cid, "last", "before the edit")
        assert call(b.base, "GET", path, token=tb)["messages"][-1]["text"] == "before the edit"
        call(a.base, "PATCH", f"{path}/{m['id']}", {"text": "edited"}, ta)
        assert call(b.base, "GET", path, token=tb)["messages"][-1]["text"] == "edited"
        conv = call(b.base, "GET", f"/api/conversations/{cid}", token=tb)
        assert conv["unread_count"] == 4
    finally:
        for s in (a, b):
            s.stop()


async def test_the_last_member_leaving_a_process_stops_its_decoding(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url)
    try:
        alice, ta = register(a.base, "alice")
        bob, tb = register(a.base, "bob")
        carol, tc = register(a.base, "carol")
        cid = new_group(a.base, ta, bob)
        other = new_group(a.base, ta, carol)
        carol_on_b = await Ws.connect(ws_url(b), tc)
        bob_on_b = await Ws.connect(ws_url(b), tb)
        post(a.base, ta, cid, "1", "heard")
        await bob_on_b.expect("message.new")
        assert bus_metrics(b)["channels"] == 3
        bob_on_b.close()
        await bob_on_b.close_code()
        post(a.base, ta, cid, "sync", "settle")
        for _ in range(50):  # the subscription goes in the background
            if bus_metrics(b)["channels"] == 2:
                break
            await carol_on_b.barrier()
        before = bus_metrics(b)
        for i in range(5):
            post(a.base, ta, cid, f"u{i}", "nobody on b")
        post(a.base, ta, other, "c", "for carol")
        await carol_on_b.expect("message.new")
        after = bus_metrics(b)
        assert after["channels"] == 2
        assert after["received"] - before["received"] == 1, (before, after)
    finally:
        for s in (a, b):
            s.stop()
