"""GET .../messages/{mid}/history (issue 27, item 3): the earlier texts of an edited message,
oldest first, for members only; a delete erases them; REST and WebSocket edits alike."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=30)


async def register(api: Api, name: str) -> tuple[str, str]:
    r = await api.call("POST", "/api/auth/register", {"username": name, "password": "password-1"})
    return r.body["user"]["id"], r.body["token"]


async def test_history_of_edits_for_members_and_none_after_a_delete(running):
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    _, outsider = await register(api, "out")
    conv = (await api.call("POST", "/api/conversations", {"type": "direct", "user_id": b_id},
                           token=a)).body["id"]  # fmt: skip
    sent = await api.call(
        "POST", f"/api/conversations/{conv}/messages", {"client_id": "1", "text": "helo"}, token=a
    )
    mid = sent.body["id"]
    path = f"/api/conversations/{conv}/messages/{mid}"
    assert (await api.call("GET", f"{path}/history", token=b)).body == {"versions": []}
    edited = await api.call("PATCH", path, {"text": "hello"}, token=a)
    assert edited.status == 200
    ws = await Ws.connect(running.ws_base, a, header=True)
    reply = await ws.request(
        "message.edit", {"conversation_id": conv, "message_id": mid, "text": "hello!"}
    )
    assert reply["type"] == "ack", reply
    same = await api.call("PATCH", path, {"text": "hello!"}, token=a)  # no change: kept nothing
    assert same.status == 200
    history = await api.call("GET", f"{path}/history", token=b)
    assert history.status == 200
    versions = history.body["versions"]
    assert [v["text"] for v in versions] == ["helo", "hello"]
    assert versions[0]["edited_at"] is None and versions[1]["edited_at"] == edited.body["edited_at"]
    assert (await api.call("GET", f"{path}/history", token=outsider)).status == 404
    assert (await api.call("GET", f"/api/conversations/{conv}/messages/nope/history",
                           token=a)).status == 404  # fmt: skip
    assert (await api.call("DELETE", path, token=a)).status in (200, 204)
    assert (await api.call("GET", f"{path}/history", token=b)).body == {"versions": []}
    api.http.close()
