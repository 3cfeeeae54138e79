"""Limits hold across processes when Redis counts them: a user gets one message budget, one
failed-login window and one connection allowance, not one per process; with Redis gone each
process counts for itself and /health says so."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.processes import new_group, register
from tests.e2e.test_scaleout import cluster, ws_url
from tests.e2e.wsclient import Ws
from tests.redis_server import RedisServer

pytestmark = pytest.mark.gen_test(timeout=60)


def status_of(base: str, method: str, path: str, body: dict, token: str | None = None) -> int:
    req = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def health(base: str) -> dict:
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


async def test_two_processes_share_one_message_budget(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url, MESSAGE_RATE_PER_SEC="0.001", MESSAGE_BURST="4")
    alice, ta = register(a.base, "alice")
    bob, _ = register(a.base, "bob")
    cid = new_group(a.base, ta, bob)
    path = f"/api/conversations/{cid}/messages"
    statuses = [
        status_of(s.base, "POST", path, {"client_id": f"m{i}", "text": "hi"}, ta)
        for i, s in enumerate([a, b] * 4)
    ]
    assert statuses.count(201) == 4 and statuses.count(429) == 4, statuses
    assert health(a.base)["checks"]["limits"] == "shared"


async def test_failed_logins_count_across_processes(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url, LOGIN_MAX_FAILURES="3")
    register(a.base, "carol")
    wrong = {"username": "carol", "password": "not-her-password"}
    statuses = [status_of(s.base, "POST", "/api/auth/login", wrong) for s in (a, b, a, b)]
    assert statuses == [401, 401, 401, 429]
    right = {"username": "carol", "password": "password-1"}
    assert status_of(b.base, "POST", "/api/auth/login", right) == 429  # still in the window


async def test_a_users_connections_are_counted_across_processes(tmp_path, redis_url):
    a, b = cluster(tmp_path, redis_url, MAX_CONNECTIONS_PER_USER="2")
    _, token = register(a.base, "dave")
    first = await Ws.connect(ws_url(a), token)
    await Ws.connect(ws_url(b), token)
    third = await Ws.connect(ws_url(a), token, hello=False)  # one on a: locally it would pass
    assert await third.close_code() == 4503
    first.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:  # the closed one is forgotten everywhere, and room is made
        again = await Ws.connect(ws_url(a), token, hello=False)
        if (await again.expect(None))["type"] == "hello":
            break
        assert await again.close_code() == 4503
        assert loop.time() < deadline, "the closed connection was never forgotten"
        await asyncio.sleep(0.2)


async def test_without_redis_each_process_counts_for_itself_and_says_so(tmp_path):
    redis = RedisServer()
    try:
        (a,) = cluster(
            tmp_path, redis.url, count=1, MESSAGE_RATE_PER_SEC="0.001", MESSAGE_BURST="2"
        )
        alice, ta = register(a.base, "erin")
        bob, _ = register(a.base, "frank")
        cid = new_group(a.base, ta, bob)
        path = f"/api/conversations/{cid}/messages"
        assert status_of(a.base, "POST", path, {"client_id": "1", "text": "x"}, ta) == 201
        redis.stop()
        # Redis is gone: the send is still limited, here, and /health says where limits count.
        statuses = [
            status_of(a.base, "POST", path, {"client_id": f"d{i}", "text": "x"}, ta)
            for i in range(3)
        ]
        assert statuses == [201, 201, 429]  # the local bucket starts full: 2
        assert health(a.base)["checks"]["limits"] == "local"
    finally:
        redis.stop()
