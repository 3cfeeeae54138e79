"""Pins (issue 27, item 2) over REST, on SQLite and nx-27017: who may pin, the list latest
first, at most 50 (also with pins at once from two servers), the frames members get
(message.updated with pinned, conversation.updated with the count), and a deleted message
leaving the pins."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_threads import register, send, storage_overrides
from tests.e2e.wsclient import Ws


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_who_pins_what_members_see_and_the_limit(request, start_server, storage):
    running = await start_server(
        **storage_overrides(request, storage, "pin"), message_rate_per_sec=1000, message_burst=1000
    )
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    _, d = await register(api, "dan")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    direct = (await api.call("POST", "/api/conversations", {"type": "direct", "user_id": a_id},
                             token=b)).body["id"]  # fmt: skip
    one = await send(api, team, b, "m1", "first")
    two = await send(api, team, a, "m2", "second")
    pins = f"/api/conversations/{team}/pins"
    ws_b = await Ws.connect(running.ws_base, b, header=True)

    async def status(method, path, body=None, token=a):
        return (await api.call(method, path, body, token=token)).status

    # In a group only admins pin, until the group lets every member.
    assert await status("PUT", f"{pins}/{one['id']}", token=b) == 403
    r = await api.call("PUT", f"{pins}/{one['id']}", token=a)
    assert r.status == 200 and r.body["pinned"] and r.body["pinned_by"] == a_id, r.body
    heard = await ws_b.expect("message.updated", lambda f: f["payload"]["message"]["pinned"])
    assert heard["payload"]["message"]["id"] == one["id"]
    counted = await ws_b.expect(
        "conversation.updated", lambda f: f["payload"]["conversation"]["pin_count"] == 1
    )
    assert counted["payload"]["conversation"]["id"] == team
    assert await status("PATCH", f"/api/conversations/{team}", {"members_can_pin": True},
                        token=b) == 403  # fmt: skip
    r = await api.call("PATCH", f"/api/conversations/{team}", {"members_can_pin": True}, token=a)
    assert r.status == 200 and r.body["members_can_pin"] is True
    assert await status("PUT", f"{pins}/{two['id']}", token=b) == 200
    again = await api.call("PUT", f"{pins}/{two['id']}", token=a)  # pinned already: no change
    assert again.status == 200 and again.body["pinned_by"] == b_id
    listed = await api.call("GET", pins, token=b)
    assert [m["id"] for m in listed.body["messages"]] == [two["id"], one["id"]]
    conv = await api.call("GET", f"/api/conversations/{team}", token=b)
    assert conv.body["pin_count"] == 2

    # A direct conversation: either side pins; its setting is not the group's to change.
    hi = await send(api, direct, a, "d1", "hi")
    assert await status("PUT", f"/api/conversations/{direct}/pins/{hi['id']}", token=b) == 200
    assert await status("PATCH", f"/api/conversations/{direct}", {"members_can_pin": True}) == 400

    # Outsiders and bad input.
    assert await status("GET", pins, token=d) == 404
    assert await status("PUT", f"{pins}/{one['id']}", token=d) == 404
    assert await status("PUT", f"{pins}/nope") == 404
    assert await status("PATCH", f"/api/conversations/{team}", {"members_can_pin": "yes"}) == 400

    # Deleting a pinned message unpins it; a deleted one cannot be pinned.
    assert await status("DELETE", f"/api/conversations/{team}/messages/{one['id']}") == 204
    assert [m["id"] for m in (await api.call("GET", pins, token=a)).body["messages"]] == [two["id"]]
    assert (await api.call("GET", f"/api/conversations/{team}", token=a)).body["pin_count"] == 1
    assert await status("PUT", f"{pins}/{one['id']}") == 409

    # Unpin, and the limit of 50.
    r = await api.call("DELETE", f"{pins}/{two['id']}", token=b)
    assert r.status == 200 and r.body["pinned"] is False and r.body["pinned_at"] is None
    many = [await send(api, team, a, f"p{i}", f"pin {i}") for i in range(51)]
    for m in many[:50]:
        assert await status("PUT", f"{pins}/{m['id']}") == 200
    assert await status("PUT", f"{pins}/{many[50]['id']}") == 409
    assert await status("PUT", f"{pins}/{many[0]['id']}") == 200  # pinned already: fine
    assert len((await api.call("GET", pins, token=a)).body["messages"]) == 50


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=90)
async def test_pins_and_unpins_at_once_from_two_servers_never_pass_the_limit(
    request, start_server, storage
):
    overrides = {
        **storage_overrides(request, storage, "pr"),
        "message_rate_per_sec": 1000,
        "message_burst": 1000,
        # The two apps share no event bus (processes share one through Redis, whose cache
        # invalidation has its own tests): without it a cached conversation would be stale.
        "query_cache_size": 0,
    }
    one, two = await start_server(**overrides), await start_server(**overrides)
    api1, api2 = Api(one.base), Api(two.base)
    _, a = await register(api1, "ann")
    team = (await api1.call("POST", "/api/conversations", {"type": "group", "name": "t"},
                            token=a)).body["id"]  # fmt: skip
    pins = f"/api/conversations/{team}/pins"
    made = [await send(api1, team, a, f"m{i}", f"m{i}") for i in range(54)]
    for m in made[:48]:
        assert (await api1.call("PUT", f"{pins}/{m['id']}", token=a)).status == 200
    # Six pins at once for two places, and one unpin, from both servers; a pin and an unpin
    # of the same message at once.
    jobs = [
        (api1 if i % 2 else api2).call("PUT", f"{pins}/{m['id']}", token=a)
        for i, m in enumerate(made[48:])
    ]
    jobs.append(api2.call("DELETE", f"{pins}/{made[0]['id']}", token=a))
    jobs.append(api1.call("PUT", f"{pins}/{made[1]['id']}", token=a))
    jobs.append(api2.call("DELETE", f"{pins}/{made[1]['id']}", token=a))
    answers = await asyncio.gather(*jobs)
    assert {r.status for r in answers} <= {200, 409}
    for api in (api1, api2):
        listed = (await api.call("GET", pins, token=a)).body["messages"]
        assert len(listed) <= 50
        conv = (await api.call("GET", f"/api/conversations/{team}", token=a)).body
        assert conv["pin_count"] == len(listed)
