"""One connection, many sends: how many messages per second senders on one connection each get
into a 20-member room, when the server handles a connection's frames one at a time
(``MAX_FRAMES_IN_FLIGHT=1``, how it worked before) and when it handles up to 16 at once (the
default); the same load over REST for comparison.

    .venv/bin/python -m bench.pipeline [--duration 6] [--senders 1,5] [--window 16]

Each sender keeps ``--window`` sends in flight (the next one as soon as an ack comes back);
the 19 other members are connected and read every ``message.new``. REST senders keep
``--window`` requests in flight each, over keep-alive connections. The server is
``python main.py`` on SQLite (every message durably stored before its ack); the load client is
this process (aiohttp), on the same 2 cores, so the figures compare settings within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.common import report_runs, summary_ms
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, new_group, register

MEMBERS = 20


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def ws_sender(
    session: aiohttp.ClientSession, url: str, cid: str, window: int, stop_at: float
) -> list[float]:
    ws = await session.ws_connect(url)
    while (await ws.receive_json())["type"] != "hello":
        pass
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    room = asyncio.Semaphore(window)
    done = asyncio.Event()

    async def acks() -> None:
        async for msg in ws:
            frame = json.loads(msg.data)
            if frame["type"] in ("ack", "error") and frame.get("id") in sent_at:
                latencies.append(time.perf_counter() - sent_at.pop(frame["id"]))
                room.release()
                if done.is_set() and not sent_at:
                    return

    reader = asyncio.ensure_future(acks())
    while time.perf_counter() < stop_at:
        await room.acquire()
        frame_id = uuid.uuid4().hex
        sent_at[frame_id] = time.perf_counter()
        payload = {"conversation_id": cid, "client_id": frame_id, "text": "x" * 40}
        await ws.send_str(json.dumps({"type": "message.send", "id": frame_id, "payload": payload}))
    done.set()
    await asyncio.wait_for(reader, 30)
    await ws.close()
    return latencies


async def rest_sender(
    session: aiohttp.ClientSession, base: str, token: str, cid: str, window: int, stop_at: float
) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def one_lane() -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            body = {"client_id": uuid.uuid4().hex, "text": "x" * 40}
            async with session.post(
                f"{base}/api/conversations/{cid}/messages", json=body, headers=headers
            ) as r:
                assert r.status in (200, 201), r.status
                await r.read()
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one_lane() for _ in range(window)))
    return latencies


async def load(
    base: str, users: list[tuple[str, str]], cid: str, senders: int, window: int, via: str, s: float
) -> dict[str, Any]:
    ws_base = base.replace("http", "ws") + "/ws?token="
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        readers = []
        for _, token in users[senders:]:
            ws = await session.ws_connect(ws_base + token)
            readers.append((ws, asyncio.ensure_future(drain(ws))))
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        stop_at = started + s
        if via == "ws":
            runs = [
                ws_sender(session, ws_base + t, cid, window, stop_at) for _, t in users[:senders]
            ]
        else:
            runs = [rest_sender(session, base, t, cid, window, stop_at) for _, t in users[:senders]]
        lists = await asyncio.gather(*runs)
        elapsed = time.perf_counter() - started
        for ws, task in readers:
            await ws.close()
            task.cancel()
    latencies = [x for one in lists for x in one]
    return {"msg_per_s": round(len(latencies) / elapsed), **summary_ms(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--senders", default="1,5")
    parser.add_argument("--window", type=int, default=16)
    args = parser.parse_args()
    cases = [
        ("ws, one frame at a time", "ws", {"MAX_FRAMES_IN_FLIGHT": "1"}),
        ("ws, pipelined", "ws", {}),
        ("rest", "rest", {}),
    ]
    rows = []
    for senders in (int(n) for n in args.senders.split(",")):
        for name, via, env in cases:
            with tempfile.TemporaryDirectory(prefix="ezchat-pipe-") as tmp:
                server = ServerProcess(
                    Path(tmp), **{**EZCHAT_ENV, "SECRET_KEY": "bench", "STORAGE": "sqlite", **env}
                )
                try:
                    server.wait_ready()
                    users = [register(server.base, f"pipe{i}") for i in range(MEMBERS)]
                    cid = new_group(server.base, users[0][1], *(u for u, _ in users[1:]))
                    tokens = [(u["id"], t) for u, t in users]
                    proc = psutil.Process(server.proc.pid)
                    c0, w0 = sum(proc.cpu_times()[:2]), time.perf_counter()
                    result = asyncio.run(
                        load(server.base, tokens, cid, senders, args.window, via, args.duration)
                    )
                    cpu = (sum(proc.cpu_times()[:2]) - c0) / (time.perf_counter() - w0)
                finally:
                    server.stop()
            rows.append(
                {
                    "senders": senders,
                    "case": name,
                    "window": args.window,
                    **result,
                    "server_cpu": round(cpu, 2),
                }
            )
            print(rows[-1], flush=True)
    report_runs("pipeline", args, rows)


if __name__ == "__main__":
    main()
