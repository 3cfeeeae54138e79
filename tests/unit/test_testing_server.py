"""ezchat.testing.serve: the real app in this event loop on a free port, whose clock a test
moves; everything it started stops with the block."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from ezchat.testing import serve

JSON = {"Content-Type": "application/json"}


async def _me(url: str, token: str) -> int:
    client = AsyncHTTPClient(force_instance=True)
    try:
        r = await client.fetch(HTTPRequest(f"{url}/api/users/me",
                                           headers={"Authorization": f"Bearer {token}"}),
                               raise_error=False)  # fmt: skip
        return r.code
    finally:
        client.close()


@pytest.mark.gen_test(timeout=30)
async def test_a_test_server_serves_http_and_websocket_and_its_clock_moves():
    async with serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        user, token = await server.make_user("alice", display_name="Alice")
        assert (user["username"], user["display_name"]) == ("alice", "Alice")
        assert await _me(server.url, token) == 200
        conn = await websocket_connect(f"{server.ws_url}?token={token}")
        raw = await conn.read_message()
        assert raw is not None
        hello = json.loads(raw)
        assert hello["type"] == "hello"
        conn.close()
        before = server.clock.now()
        server.clock.advance(31 * 86400)  # past TOKEN_TTL_S (30 days)
        assert server.clock.now() - before >= timedelta(days=31)
        assert await _me(server.url, token) == 401
        url = server.url
    client = AsyncHTTPClient(force_instance=True)
    try:
        with pytest.raises(ConnectionRefusedError):
            await client.fetch(f"{url}/health")
    finally:
        client.close()


@pytest.mark.gen_test(timeout=30)
async def test_settings_are_the_servers_and_each_server_is_its_own():
    async with serve(registration="closed") as one, serve() as two:
        assert one.url != two.url
        client = AsyncHTTPClient(force_instance=True)
        body = json.dumps({"username": "bob", "password": "password-123"})
        try:
            refused, made = [
                await client.fetch(
                    HTTPRequest(f"{s.url}/api/auth/register", "POST", body=body, headers=JSON),
                    raise_error=False,
                )
                for s in (one, two)
            ]
        finally:
            client.close()
        assert (refused.code, made.code) == (403, 201)
        await one.make_user("bob")  # the test's own accounts, whatever the mode
