"""Logout, logout everywhere, password change and disabling: the next REST call is 401 and
open WebSocket connections using a revoked token close with 4401, on every process."""

import asyncio
import time

import pytest

from tests.e2e.conftest import Api
from tests.e2e.processes import ServerProcess, call, register
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


async def login(api, name):
    r = await api.call("POST", "/api/auth/login", {"username": name, "password": "password-1"})
    assert r.status == 200, r.body
    return r.body["token"]


async def me(api, token):
    return (await api.call("GET", "/api/users/me", token=token)).status


async def test_logout_revokes_the_calling_token_only_and_closes_its_sockets(running, api):
    _, first = await api.register("alice")
    second = await login(api, "alice")
    ws_first = await Ws.connect(running.ws_base, first)
    ws_second = await Ws.connect(running.ws_base, second)
    r = await api.call("POST", "/api/auth/logout", token=first)
    assert r.status == 204
    assert await me(api, first) == 401 and await me(api, second) == 200
    assert await ws_first.close_code() == 4401
    await ws_second.barrier()


async def test_logout_all_revokes_every_token(running, api):
    _, first = await api.register("alice")
    second = await login(api, "alice")
    ticket = (await api.call("POST", "/api/auth/ws-ticket", token=second)).body["ticket"]
    by_ticket = await Ws.connect(running.ws_base + f"?ticket={ticket}", None)
    assert (await api.call("POST", "/api/auth/logout-all", token=first)).status == 204
    assert await me(api, first) == 401 and await me(api, second) == 401
    assert await by_ticket.close_code() == 4401
    assert await me(api, await login(api, "alice")) == 200  # a new login works


async def test_a_password_change_keeps_the_calling_token_and_revokes_the_others(running, api):
    _, mine = await api.register("alice")
    other = await login(api, "alice")
    ws_other = await Ws.connect(running.ws_base, other)
    body = {"current_password": "wrong-one", "new_password": "password-2"}
    r = await api.call("PUT", "/api/users/me/password", body, token=mine)
    assert r.status == 401
    body["current_password"] = "password-1"
    r = await api.call("PUT", "/api/users/me/password", body, token=mine)
    assert r.status == 204, r.body
    assert await me(api, mine) == 200 and await me(api, other) == 401
    assert await ws_other.close_code() == 4401
    old = await api.call("POST", "/api/auth/login", {"username": "alice", "password": "password-1"})
    assert old.status == 401
    new = await api.call("POST", "/api/auth/login", {"username": "alice", "password": "password-2"})
    assert new.status == 200


async def test_a_disabled_user_cannot_log_in_and_its_tokens_stop(running, api):
    user, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    await running.app.services.access.set_disabled(user["id"], True)
    assert await me(api, token) == 401
    assert await ws.close_code() == 4401
    r = await api.call("POST", "/api/auth/login", {"username": "alice", "password": "password-1"})
    assert (r.status, r.error) == (403, "forbidden")
    await running.app.services.access.set_disabled(user["id"], False)
    assert await me(api, await login(api, "alice")) == 200


@pytest.mark.gen_test(timeout=60)  # two server processes start inside it
async def test_a_revocation_made_by_another_process_applies_here_without_a_broker(tmp_path):
    shared = {"STORAGE": "sqlite", "SECRET_KEY": "shared", "REVOCATION_POLL_S": "0.2"}
    a, b = ServerProcess(tmp_path, **shared), ServerProcess(tmp_path, **shared)
    a.wait_ready()
    b.wait_ready()
    _, token = register(a.base, "alice")
    on_b = await Ws.connect(f"ws://127.0.0.1:{b.port}/ws", token)
    call(a.base, "POST", "/api/auth/logout", {}, token=token)
    assert await on_b.close_code(timeout=10) == 4401
    api_b = Api(b.base)
    try:
        deadline = time.monotonic() + 10
        while await me(api_b, token) != 401:
            assert time.monotonic() < deadline, "process b still takes the token"
            await asyncio.sleep(0.05)
    finally:
        api_b.http.close()
