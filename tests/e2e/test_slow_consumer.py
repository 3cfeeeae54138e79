"""A real client that stops reading: the server closes it with 4408 once its outbox is full,
and a normal client in the same conversation receives every message meanwhile."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=60)


def _stalled_client(port: int, token: str) -> socket.socket:
    """Handshake, read the hello, then read nothing more (a tiny receive window)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head
    return sock


def _close_code_after_draining(sock: socket.socket) -> int | None:
    """Read every frame the server had queued; the close code at the end, if it came."""
    buf = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except (TimeoutError, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
        while len(buf) >= 2:
            n, h = buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, h = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, h = struct.unpack(">Q", buf[2:10])[0], 10
            if len(buf) < h + n:
                break
            opcode, payload, buf = buf[0] & 0x0F, buf[h : h + n], buf[h + n :]
            if opcode == 0x8:
                return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None


async def test_a_client_that_stops_reading_is_closed_with_4408_and_others_get_everything(
    start_server,
):
    running = await start_server(
        outbox_max_frames=50,
        outbox_max_bytes=256 * 1024,
        message_rate_per_sec=100000,
        message_burst=100000,
    )
    api = Api(running.base)
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    carol, tc = await api.register("carol")
    conv = await api.call(
        "POST",
        "/api/conversations",
        {"type": "group", "name": "flood", "member_ids": [bob["id"], carol["id"]]},
        token=ta,
    )
    cid = conv.body["id"]
    port = int(running.base.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    stalled = await loop.run_in_executor(None, _stalled_client, port, tc)
    sender = await Ws.connect(running.ws_base, ta)
    reader = await Ws.connect(running.ws_base, tb)
    hub = running.app.hub
    text = "x" * 3900
    seqs: list[int] = []

    async def keep_reading() -> None:  # bob keeps up, whatever happens to carol
        while True:
            frame = await reader.expect("message.new", timeout=30)
            seqs.append(frame["payload"]["message"]["seq"])

    reading = asyncio.ensure_future(keep_reading())
    sent = 0

    async def send_chunk(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            sender.send_raw(
                f'{{"type":"message.send","id":{sent},"payload":{{"conversation_id":"{cid}",'
                f'"client_id":"f{sent}","text":"{text}"}}}}'
            )
            sent += 1
        await sender.expect("ack", lambda f, last=sent - 1: f.get("id") == last, timeout=30)
        sender.backlog.clear()  # alice's own message.new frames: not under test

    try:
        while hub.slow_closed == 0 and sent < 4000:  # ~16 MB at most: past any socket buffer
            await send_chunk(50)
        assert hub.slow_closed == 1, "the stalled client was never closed"
        await send_chunk(20)  # and delivery to the others goes on
        deadline = loop.time() + 30
        while len(seqs) < sent and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert seqs == list(range(1, sent + 1))
        assert hub.connection_count == 2
        code = await loop.run_in_executor(None, _close_code_after_draining, stalled)
        assert code in (4408, None)  # None: the server gave up waiting for the handshake
    finally:
        reading.cancel()
        stalled.close()
        api.http.close()
