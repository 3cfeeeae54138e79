"""Durability across crashes, and seq/rev across processes sharing one store."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from tests.e2e.processes import ServerProcess, call

FAST = {"MESSAGE_RATE_PER_SEC": "100000", "MESSAGE_BURST": "100000", "SECRET_KEY": "crash-test"}


def setup_room(base: str) -> tuple[str, str]:
    token = call(
        base, "POST", "/api/auth/register", {"username": "alice", "password": "password-1"}
    )["token"]
    conv = call(base, "POST", "/api/conversations", {"type": "group", "name": "crash"}, token=token)
    return token, conv["id"]


def history(base: str, token: str, cid: str) -> list[dict]:
    out, after = [], 0
    while True:
        page = call(
            base, "GET", f"/api/conversations/{cid}/messages?after={after}&limit=100", token=token
        )
        out += page["messages"]
        if not page["has_more"]:
            return out
        after = out[-1]["seq"]


@pytest.mark.gen_test(timeout=90)
async def test_every_acknowledged_message_survives_a_sigkill_exactly_once_in_order(tmp_path):
    server = ServerProcess(tmp_path, **FAST)
    acked: dict[str, dict] = {}
    try:
        server.wait_ready()
        token, cid = setup_room(server.base)
        url = f"ws://127.0.0.1:{server.port}/ws?token={token}"
        conns = [await websocket_connect(url, ping_interval=None) for _ in range(3)]

        async def stream(n: int, conn) -> None:
            """Keep 10 sends in flight on this connection until the server dies."""
            sent = 0
            inflight = 0
            while True:
                while inflight < 10:
                    frame = {
                        "type": "message.send",
                        "id": f"{n}-{sent}",
                        "payload": {
                            "conversation_id": cid,
                            "client_id": f"{n}-{sent}",
                            "text": f"m {n}-{sent}",
                        },
                    }
                    try:
                        await conn.write_message(json.dumps(frame))
                    except Exception:
                        return
                    sent += 1
                    inflight += 1
                raw = await conn.read_message()
                if raw is None:
                    return
                frame = json.loads(raw)
                if frame["type"] == "ack":
                    acked[frame["payload"]["message"]["client_id"]] = frame["payload"]["message"]
                    inflight -= 1

        streams = [asyncio.ensure_future(stream(n, c)) for n, c in enumerate(conns)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(acked) < 300 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        server.proc.send_signal(signal.SIGKILL)  # mid-stream: sends are still in flight
        await asyncio.wait_for(asyncio.gather(*streams), 10)
        for c in conns:
            c.close()
        server.stop()
        assert len(acked) >= 300

        again = ServerProcess(tmp_path, **FAST)
        try:
            again.wait_ready()
            token = call(
                again.base,
                "POST",
                "/api/auth/login",
                {"username": "alice", "password": "password-1"},
            )["token"]
            stored = history(again.base, token, cid)
        finally:
            again.stop()
    finally:
        server.stop()
    by_client = {}
    for m in stored:
        assert m["client_id"] not in by_client, "stored twice"
        by_client[m["client_id"]] = m
    missing = [c for c in acked if c not in by_client]
    assert missing == [], f"{len(missing)} acknowledged messages lost"
    for client_id, m in acked.items():
        assert by_client[client_id]["seq"] == m["seq"] and by_client[client_id]["id"] == m["id"]
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))


async def _send_concurrently(bases: list[str], token: str, cid: str, per_server: int) -> None:
    http = AsyncHTTPClient(force_instance=True)
    try:

        async def send(base: str, i: int) -> None:
            body = json.dumps({"client_id": f"{base[-5:]}-{i}", "text": f"from {base} #{i}"})
            resp = await http.fetch(
                HTTPRequest(
                    f"{base}/api/conversations/{cid}/messages",
                    method="POST",
                    body=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
            )
            assert resp.code == 201

        await asyncio.gather(*(send(b, i) for b in bases for i in range(per_server)))
    finally:
        http.close()


async def _two_processes_share_one_store(tmp_path, env: dict[str, str]) -> None:
    servers = [ServerProcess(tmp_path, **FAST, **env) for _ in range(2)]
    try:
        for s in servers:
            s.wait_ready()
        token, cid = setup_room(servers[0].base)
        await _send_concurrently([s.base for s in servers], token, cid, per_server=40)
        stored = history(servers[1].base, token, cid)
    finally:
        for s in servers:
            s.stop()
    assert len(stored) == 80
    assert [m["seq"] for m in stored] == list(range(1, 81))
    revs = sorted(m["rev"] for m in stored)
    assert len(set(revs)) == 80 and revs == sorted(set(revs))


@pytest.mark.gen_test(timeout=60)
async def test_two_processes_sharing_one_sqlite_file_never_share_a_seq_or_rev(tmp_path):
    await _two_processes_share_one_store(tmp_path, {"STORAGE": "sqlite"})


@pytest.mark.gen_test(timeout=60)
@pytest.mark.parametrize("driver", ["motor", "pymongo"])
async def test_two_processes_on_one_mongodb_never_share_a_seq_or_rev(tmp_path, nx_server, driver):
    await _two_processes_share_one_store(
        tmp_path,
        {
            "STORAGE": "mongo",
            "MONGODB_URL": nx_server.url,
            "MONGODB_DRIVER": driver,
            "MONGODB_DB": f"two_{driver}",
        },
    )
