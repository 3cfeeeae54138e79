"""The /ws protocol: auth, hello, replies by id, bad frames, limits, heartbeats, shutdown."""

import asyncio
import json

import pytest

from tests.e2e.conftest import Api
from tests.e2e.rawws import frames_until_close, handshake, read_frame, send_frame
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_a_bad_or_missing_token_gets_an_error_frame_and_4401(running, token):
    ws = await Ws.connect(running.ws_base, token, hello=False)
    frame = await ws.expect("error")
    assert frame["payload"]["code"] == "unauthorized"
    assert await ws.close_code() == 4401


@pytest.mark.parametrize("header", [False, True])
async def test_hello_greets_by_query_token_or_authorization_header(running, api, header):
    user, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token, header=header, hello=False)
    hello = await ws.expect("hello")
    p = hello["payload"]
    assert p["user"]["id"] == user["id"] and p["user"]["status"] == "online"
    assert p["session_id"] and p["heartbeat_interval"] == 25
    assert p["server_time"].endswith("Z")
    ws.close()


async def test_ping_gets_a_pong_with_the_same_id(running, api):
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    reply = await ws.request("ping", {}, id=42)
    assert reply["type"] == "pong" and reply["id"] == 42 and reply["payload"]["server_time"]
    ws.close()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_request"),
        ("[1,2]", "invalid_request"),
        ('{"id": "x1"}', "invalid_request"),
        ('{"type": "launch.rockets", "id": "x1"}', "invalid_request"),
        ('{"type": "message.send", "id": "x1", "payload": []}', "invalid_request"),
        (
            '{"type": "message.send", "id": "x1", "payload": {"conversation_id": 5}}',
            "invalid_request",
        ),
        (
            '{"type": "read", "id": "x1", "payload": {"conversation_id": "c", "seq": "1"}}',
            "invalid_request",
        ),
        ('{"type": "typing", "id": "x1", "payload": {"conversation_id": "c"}}', "invalid_request"),
        ('{"type": "presence", "id": "x1", "payload": {"status": "offline"}}', "invalid_request"),
        (
            '{"type": "message.send", "id": "x1", '
            '"payload": {"conversation_id": "nope", "client_id": "a", "text": "x"}}',
            "not_found",
        ),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays_open(running, api, raw, code):
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    ws.send_raw(raw)
    err = await ws.expect("error")
    assert err["payload"]["code"] == code and err["payload"]["message"]
    if '"id": "x1"' in raw:
        assert err["id"] == "x1"
    ws.send_raw(b"\x00\x01", binary=True)
    assert (await ws.expect("error"))["payload"]["code"] == "invalid_request"
    await ws.barrier()
    ws.close()


async def test_a_frame_over_the_size_limit_closes_with_1009(start_server):
    running = await start_server(max_frame_bytes=4096)
    api = Api(running.base)
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    ws.send_raw(json.dumps({"type": "ping", "payload": {"pad": "x" * 5000}}))
    assert await ws.close_code() == 1009
    api.http.close()


async def test_connections_past_the_per_user_limit_close_with_4503(start_server):
    running = await start_server(max_connections_per_user=2)
    api = Api(running.base)
    _, token = await api.register("alice")
    first = await Ws.connect(running.ws_base, token)
    second = await Ws.connect(running.ws_base, token)
    third = await Ws.connect(running.ws_base, token, hello=False)
    assert (await third.expect("error"))["payload"]["code"] == "unavailable"
    assert await third.close_code() == 4503
    await first.barrier()
    await second.barrier()
    first.close()
    second.close()
    api.http.close()


async def test_connections_past_the_process_limit_close_with_4503(start_server):
    running = await start_server(max_connections=1)
    api = Api(running.base)
    _, ta = await api.register("alice")
    _, tb = await api.register("bobby")
    first = await Ws.connect(running.ws_base, ta)
    other = await Ws.connect(running.ws_base, tb, hello=False)
    assert await other.close_code() == 4503
    first.close()
    api.http.close()


async def test_shutdown_closes_clients_with_1001(start_server):
    running = await start_server()
    api = Api(running.base)
    _, token = await api.register("alice")
    ws = await Ws.connect(running.ws_base, token)
    closing = asyncio.ensure_future(running.app.aclose())
    assert await ws.close_code() == 1001
    await closing
    api.http.close()


async def test_a_client_that_answers_no_ping_is_closed_with_4408(start_server):
    running = await start_server(heartbeat_interval=0.2, heartbeat_timeout=0.4)
    api = Api(running.base)
    _, token = await api.register("alice")
    port = int(running.base.rsplit(":", 1)[1])

    def silent_client() -> tuple[list[int], int | None]:
        sock = handshake(port, token)
        try:
            return frames_until_close(sock)
        finally:
            sock.close()

    # A blocking client, so on its own thread: the server shares this test's event loop.
    opcodes, code = await asyncio.get_running_loop().run_in_executor(None, silent_client)
    assert 0x9 in opcodes  # the server pinged first
    assert code == 4408
    api.http.close()


async def test_a_client_that_answers_pings_stays_connected(start_server):
    running = await start_server(heartbeat_interval=0.1, heartbeat_timeout=0.3)
    api = Api(running.base)
    _, token = await api.register("alice")
    port = int(running.base.rsplit(":", 1)[1])

    def answering_client() -> tuple[int, int]:
        """Answer every ping; after six (twice the timeout of silence but for the pongs), ask
        for a pong of its own: the opcodes of what came, in order, until that pong."""
        sock = handshake(port, token)
        try:
            pings = 0
            while pings < 6:
                opcode, data = read_frame(sock)
                assert opcode != 0x8, "closed although every ping was answered"
                if opcode == 0x9:
                    pings += 1
                    send_frame(sock, 0xA, data)
            send_frame(sock, 0x1, b'{"type":"ping","id":1}')
            while True:
                opcode, data = read_frame(sock)
                assert opcode != 0x8, "closed although every ping was answered"
                if opcode == 0x1 and b'"pong"' in data:
                    return pings, opcode
                if opcode == 0x9:
                    send_frame(sock, 0xA, data)
        finally:
            sock.close()

    # A blocking client, so on its own thread: the server shares this test's event loop.
    pings, _ = await asyncio.get_running_loop().run_in_executor(None, answering_client)
    assert pings == 6
    api.http.close()


async def test_hello_is_always_the_first_frame_even_while_events_pour_in(start_server):
    running = await start_server(message_rate_per_sec=100_000, message_burst=100_000)
    api = Api(running.base)
    alice, ta = await api.register("alice")
    _, tb = await api.register("bob")
    body = {"type": "group", "name": "g", "member_ids": [alice["id"]]}
    cid = (await api.call("POST", "/api/conversations", body, token=tb)).body["id"]
    sender = await Ws.connect(running.ws_base, tb)
    pouring = True

    async def pour():  # bob's messages: events for alice, racing her connections' start
        n = 0
        while pouring:
            n += 1
            frame = {"conversation_id": cid, "client_id": f"m{n}", "text": "x"}
            sender.send_raw(json.dumps({"type": "message.send", "payload": frame}))
            await asyncio.sleep(0.001)

    task = asyncio.ensure_future(pour())
    try:
        for _ in range(20):
            ws = await Ws.connect(running.ws_base, ta, hello=False)
            first = await ws._read(5)
            assert first is not None and first["type"] == "hello", first
            ws.close()
    finally:
        pouring = False
        await task
        api.http.close()


async def test_a_connection_ends_with_4401_when_its_token_expires(start_server):
    running = await start_server(token_ttl_s=1)
    api = Api(running.base)
    try:
        _, token = await api.register("alice")
        ws = await Ws.connect(running.ws_base, token)
        frame = await ws.expect("error", timeout=10)
        assert frame["payload"]["code"] == "unauthorized"
        assert await ws.close_code(timeout=10) == 4401
    finally:
        api.http.close()
