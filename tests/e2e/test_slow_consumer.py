"""A real client that stops reading: the server closes it with 4408 once its outbox is full,
and a normal client in the same conversation receives every message meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Api
from tests.e2e.rawws import frames_until_close, handshake
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test(timeout=60)


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
    # Carol connects with a tiny receive window and never reads.
    stalled = await loop.run_in_executor(None, lambda: handshake(port, tc, receive_buffer=4096))
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
        last = sent - 1
        await sender.expect("ack", lambda f: bool(f.get("id") == last), timeout=30)
        sender.backlog.clear()  # alice's own message.new frames: not under test

    try:
        while hub.slow_closed == 0 and sent < 4000:  # ~16 MB at most: past any socket buffer
            await send_chunk(50)
        assert hub.slow_closed == 1, "the stalled client was never closed"
        # Read what the stalled client was sent, at once: the server waits for its answer to
        # the close frame for a few seconds only, then drops the connection.
        drained = loop.run_in_executor(None, frames_until_close, stalled)
        await send_chunk(20)  # and delivery to the others goes on
        deadline = loop.time() + 30
        while len(seqs) < sent and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert seqs == list(range(1, sent + 1))
        assert hub.connection_count == 2
        _, code = await drained
        assert code == 4408
    finally:
        reading.cancel()
        stalled.close()
        api.http.close()
