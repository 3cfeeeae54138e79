"""Acked sends per second and send-to-ack latency: group commit against one write per message,
on SQLite and on MongoDB (nx-27017, file-backed).

    .venv/bin/python -m bench.send_ack [--duration 10] [--connections 50]

Each connection is a user alone in a group of its own, sending in a closed loop (the next send
when the last is acked), so the figures measure the write path, not fan-out. The load client is
this process; the server is `python main.py` in another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

from bench.common import conditions, save, summary_ms, table
from tests.e2e.processes import ServerProcess, call
from tests.mongo_server import NxServer

LIMITS = {"MESSAGE_RATE_PER_SEC": "1000000", "MESSAGE_BURST": "1000000", "LOG_LEVEL": "ERROR"}


async def load(
    base: str, port: int, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    rooms = []
    for i in range(connections):
        token = call(
            base, "POST", "/api/auth/register", {"username": f"bench{i}", "password": "password-1"}
        )["token"]
        cid = call(
            base, "POST", "/api/conversations", {"type": "group", "name": f"r{i}"}, token=token
        )["id"]
        rooms.append((token, cid))
    latencies: list[float] = []
    acked = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + duration

    async def client(n: int, token: str, cid: str) -> None:
        nonlocal acked
        conn = await websocket_connect(
            f"ws://127.0.0.1:{port}/ws?token={token}", ping_interval=None
        )
        await conn.read_message()  # hello
        i = 0
        while loop.time() < stop_at:
            frame = {
                "type": "message.send",
                "id": i,
                "payload": {
                    "conversation_id": cid,
                    "client_id": f"{n}-{i}",
                    "text": f"message {i} from {n}",
                },
            }
            sent = loop.time()
            await conn.write_message(json.dumps(frame))
            while True:  # skip our own message.new; wait for the ack of this frame
                reply = json.loads(await conn.read_message())
                if reply.get("id") == i:
                    break
            assert reply["type"] == "ack", reply
            now = loop.time()
            if measure_from <= sent and now <= stop_at:
                latencies.append(now - sent)
                acked += 1
            i += 1
        conn.close()

    await asyncio.gather(*(client(n, t, c) for n, (t, c) in enumerate(rooms)))
    return {"acked_per_s": round(acked / duration, 1), "acked": acked, **summary_ms(latencies)}


def run_case(name: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ezchat-bench-") as tmp:
        server = ServerProcess(Path(tmp), **LIMITS, **env)
        try:
            server.wait_ready()
            result = asyncio.run(
                load(server.base, server.port, args.connections, args.duration, args.warmup)
            )
        finally:
            server.stop()
    print(f"  {name}: {result}", flush=True)
    return {"case": name, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    group = {"MESSAGE_BATCH_SIZE": "64", "MESSAGE_BATCH_DELAY_MS": "2"}
    single = {"MESSAGE_BATCH_SIZE": "1", "MESSAGE_BATCH_DELAY_MS": "0"}
    rows = []
    started = time.time()
    before = conditions()
    print(f"send-to-ack: {args.connections} connections, {args.duration:.0f} s each", flush=True)
    rows.append(run_case("sqlite group-commit", {"STORAGE": "sqlite", **group}, args))
    no_wait = {**group, "MESSAGE_BATCH_DELAY_MS": "0"}
    rows.append(run_case("sqlite group-commit, no wait", {"STORAGE": "sqlite", **no_wait}, args))
    rows.append(run_case("sqlite one-write-per-message", {"STORAGE": "sqlite", **single}, args))
    with tempfile.TemporaryDirectory(prefix="ezchat-nx-") as nxdir:
        nx = NxServer(db_path=str(Path(nxdir) / "bench.db"))
        try:
            mongo = {"STORAGE": "mongo", "MONGODB_URL": nx.url}
            rows.append(
                run_case("nx-27017 group-commit", {**mongo, "MONGODB_DB": "g", **group}, args)
            )
            rows.append(
                run_case(
                    "nx-27017 one-write-per-message", {**mongo, "MONGODB_DB": "s", **single}, args
                )
            )
        finally:
            nx.stop()
    columns = ["case", "acked_per_s", "p50_ms", "p99_ms", "mean_ms", "acked"]
    print(table(rows, columns))
    path = save(
        "send_ack",
        {
            "benchmark": "send_ack",
            "conditions": {**before, **vars(args), "seconds_total": round(time.time() - started)},
            "results": rows,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
