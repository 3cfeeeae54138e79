"""An app's own tests, as an app would write them: nothing but the ezchat_server fixture (the
plugin pip installs with ezchat) and the app's usual clients (urllib here; asyncio.run for
the WebSocket)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from tornado.websocket import websocket_connect


def call(base: str, method: str, path: str, body: object = None, token: str = "") -> Any:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },  # fmt: skip
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def test_my_app_sends_and_reads_messages(ezchat_server):
    alice, ta = ezchat_server.make_user("alice")
    bob, tb = ezchat_server.make_user("bob")
    conv = call(ezchat_server.url, "POST", "/api/conversations",
                {"type": "direct", "user_id": bob["id"]}, ta)  # fmt: skip
    call(ezchat_server.url, "POST", f"/api/conversations/{conv['id']}/messages",
         {"client_id": "c1", "text": "hello bob"}, ta)  # fmt: skip
    page = call(ezchat_server.url, "GET", f"/api/conversations/{conv['id']}/messages", token=tb)
    assert [m["text"] for m in page["messages"]] == ["hello bob"]


def test_my_app_hears_events_with_asyncio_run(ezchat_server):
    _, token = ezchat_server.make_user("carol")

    async def hello() -> str:
        conn = await websocket_connect(f"{ezchat_server.ws_url}?token={token}")
        try:
            raw = await conn.read_message()
            assert raw is not None
            return str(json.loads(raw)["type"])
        finally:
            conn.close()
            # Until the server's close frame: the socket is closed before the loop ends.
            while await asyncio.wait_for(conn.read_message(), 10) is not None:
                pass

    assert asyncio.run(hello()) == "hello"


@pytest.mark.ezchat(registration="closed")
def test_settings_come_from_the_marker(ezchat_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(ezchat_server.url, "POST", "/api/auth/register",
             {"username": "dave", "password": "password-123"})  # fmt: skip
    assert refused.value.code == 403
    refused.value.close()


def test_each_test_gets_a_fresh_server(ezchat_server):
    ezchat_server.make_user("alice")  # taken in the first test's server, not in this one
