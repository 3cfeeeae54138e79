"""Link previews end to end (issue 27, item 5): a message with a link gets its page's preview
with a message.updated, on SQLite and nx-27017; a sender's ``previews: false``, LINK_PREVIEWS
off and the address guard (OUTBOUND_ALLOW_PRIVATE off: the test's page is on loopback) each
leave the message without one; an edit to another link replaces it."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_threads import register, send, storage_overrides
from tests.e2e.wsclient import Ws
from tests.unit.test_link_previews import Pages


@pytest.fixture
def page():
    p = Pages("127.0.0.1")
    yield p
    p.stop()


async def setup(running):
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id]},
                           token=a)).body["id"]  # fmt: skip
    return api, a, b, team


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_a_linked_page_becomes_the_message_preview(request, start_server, storage, page):
    running = await start_server(**storage_overrides(request, storage, "lp"))
    api, a, b, team = await setup(running)
    ws = await Ws.connect(running.ws_base, b, header=True)
    m = await send(api, team, a, "l1", f"look: {page.base}/ok!")
    assert m["previews"] == []  # the send does not wait for the page
    heard = await ws.expect("message.updated", lambda f: f["payload"]["message"]["previews"])
    (p,) = heard["payload"]["message"]["previews"]
    assert p == {
        "url": f"{page.base}/ok",
        "title": "The plan & more",
        "description": "What we do next",
        "image_url": f"{page.base}/img/plan.png",
        "site_name": "Plans",
    }
    history = await api.call("GET", f"/api/conversations/{team}/messages", token=b)
    assert history.body["messages"][-1]["previews"] == [p]
    # An edit to another link: the old preview goes, the new page's comes.
    r = await api.call("PATCH", f"/api/conversations/{team}/messages/{m['id']}",
                       {"text": f"rather {page.base}/latin"}, token=a)  # fmt: skip
    assert r.status == 200 and r.body["previews"] == []
    heard = await ws.expect("message.updated", lambda f: f["payload"]["message"]["previews"])
    assert heard["payload"]["message"]["previews"][0]["title"] == "Caf\u00e9 \u00fcber"

    # The sender may say no, and a deleted message keeps nothing.
    quiet = await api.call("POST", f"/api/conversations/{team}/messages",
                           {"client_id": "l2", "text": f"{page.base}/ok", "previews": False},
                           token=a)  # fmt: skip
    assert quiet.status == 201
    gone = await api.call("DELETE", f"/api/conversations/{team}/messages/{m['id']}", token=a)
    assert gone.status == 204
    await asyncio.sleep(0.5)  # a preview would have come by now (the page is cached)
    after = (await api.call("GET", f"/api/conversations/{team}/messages", token=b)).body
    by_id = {x["id"]: x for x in after["messages"]}
    assert by_id[quiet.body["id"]]["previews"] == []
    assert by_id[m["id"]]["previews"] == [] and by_id[m["id"]]["deleted"]
    bad = await api.call("POST", f"/api/conversations/{team}/messages",
                         {"client_id": "l3", "text": "x", "previews": "no"}, token=a)  # fmt: skip
    assert bad.status == 400 and bad.body["error"]["field"] == "previews"


@pytest.mark.parametrize(
    "overrides", [{"link_previews": False}, {"outbound_allow_private": False}], ids=["off", "guard"]
)
@pytest.mark.gen_test(timeout=60)
async def test_no_preview_when_off_or_refused_by_the_address_guard(start_server, page, overrides):
    running = await start_server(**overrides)
    api, a, _, team = await setup(running)
    m = await send(api, team, a, "l1", f"{page.base}/ok")
    await asyncio.sleep(1.0)  # the page answers at once: a preview would have come by now
    history = (await api.call("GET", f"/api/conversations/{team}/messages", token=a)).body
    assert history["messages"][-1]["id"] == m["id"] and history["messages"][-1]["previews"] == []
    assert page.requests == []  # and the page was never asked
