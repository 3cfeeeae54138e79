"""What crossing processes costs, with one channel for every event (``BUS_ROUTING=broadcast``)
and with a channel per conversation (``conversation``, the default), in the same run: 1, 2 and
4 separate server processes on one SQLite file and one Redis.

    .venv/bin/python -m bench.scaleout [--users 160] [--groups 80] [--messages 10]

Users are spread evenly over the processes, each connected by WebSocket to its own and reading
everything. Groups of ``--size`` members drawn at random (2: direct-message-like pairs), and
one group of everyone; each message is sent over REST to its sender's process. Measured over the sending phase only:

- per process, the remote events it decoded over those with a recipient connected to it
  (``ezchat_bus_events_received`` / ``ezchat_bus_events_relevant``);
- Redis commands per message, from Redis's own ``INFO commandstats`` (PUBLISH/SPUBLISH and
  any (un)subscription), so it needs a Redis nothing else is using meanwhile;
- server CPU (every process, from /proc) per delivery (frames queued to WebSocket clients).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import redis
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from bench.common import conditions, save, table
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, call, new_group, register

COMMANDS = ("publish", "spublish", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe")


def redis_calls(client: redis.Redis) -> dict[str, float]:
    """Calls of each pub/sub command, and Redis's CPU seconds, since it started."""
    stats = client.info("commandstats")
    cpu = client.info("cpu")
    return {
        **{c: int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in COMMANDS},
        "cpu": float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
    }


async def drain(conn: WebSocketClientConnection, counts: list[int]) -> None:
    while await conn.read_message() is not None:
        counts[0] += 1


async def measure(
    processes: int, routing: str, args: argparse.Namespace, rng: random.Random
) -> dict[str, Any]:
    prefix = f"scale{uuid.uuid4().hex[:8]}"
    r = redis.Redis.from_url(args.redis)
    with tempfile.TemporaryDirectory(prefix="ezchat-scaleout-") as tmp:
        env = {
            **EZCHAT_ENV,
            "REDIS_URL": args.redis,
            "REDIS_PREFIX": prefix,
            "SECRET_KEY": "bench",
            "BUS_ROUTING": routing,
            "RECEIPT_FLUSH_MS": "50",
        }
        servers = [ServerProcess(Path(tmp), **env) for _ in range(processes)]
        conns: list[WebSocketClientConnection] = []
        readers = []
        frames = [0]
        try:
            for s in servers:
                s.wait_ready()
            users = [register(servers[0].base, f"user{i}") for i in range(args.users)]
            setup = redis_calls(r)
            home = {u["id"]: servers[i % processes] for i, (u, _) in enumerate(users)}
            for u, token in users:
                url = f"ws://127.0.0.1:{home[u['id']].port}/ws?token={token}"
                conns.append(await websocket_connect(url))
            readers = [asyncio.ensure_future(drain(c, frames)) for c in conns]
            groups = []
            for _ in range(args.groups):
                members = rng.sample(users, args.size)
                groups.append((_group(home, members), members))
            everyone = _group(home, users)
            await asyncio.sleep(1.0)
            setup_done = redis_calls(r)
            sends = [
                (cid, rng.choice(members)) for cid, members in groups for _ in range(args.messages)
            ]
            sends += [(everyone, rng.choice(users)) for _ in range(args.messages)]
            rng.shuffle(sends)
            before = [_figures(s, users[0][1]) for s in servers]
            calls_before = redis_calls(r)
            frames_before = frames[0]
            started = time.perf_counter()
            await _send_all(sends, home, args.concurrency)
            await asyncio.sleep(2.0)  # the last deliveries land
            elapsed = time.perf_counter() - started
            after = [_figures(s, users[0][1]) for s in servers]
            calls_after = redis_calls(r)
            frames_read = frames[0] - frames_before
        finally:
            for c in conns:
                c.close()
            for t in readers:
                t.cancel()
            for s in servers:
                s.stop()
            r.close()
    messages = len(sends)
    calls = {c: calls_after[c] - calls_before[c] for c in COMMANDS}
    subscribed = sum(setup_done[c] - setup[c] for c in COMMANDS[2:])
    per_process = []
    for b, a in zip(before, after, strict=True):
        decoded = a["received"] - b["received"]
        needed = a["relevant"] - b["relevant"]
        per_process.append(round(decoded / needed, 2) if needed else None)
    decoded = sum(a["received"] - b["received"] for b, a in zip(before, after, strict=True))
    needed = sum(a["relevant"] - b["relevant"] for b, a in zip(before, after, strict=True))
    cpu = sum(a["cpu"] - b["cpu"] for b, a in zip(before, after, strict=True))
    deliveries = sum(a["deliveries"] - b["deliveries"] for b, a in zip(before, after, strict=True))
    publishes = calls["publish"] + calls["spublish"]
    return {
        "processes": processes,
        "routing": routing,
        "group_size": args.size,
        "messages": messages,
        "decoded_per_process": round(decoded / processes),
        "decoded_over_needed": round(decoded / needed, 2) if needed else None,
        "worst_process": max((x for x in per_process if x is not None), default=None),
        "per_process": per_process,
        "publishes_per_message": round(publishes / messages, 2),
        "subscribe_cmds_setup": int(subscribed),
        "subscribe_cmds_sending": int(sum(calls[c] for c in COMMANDS[2:])),
        "redis_cpu_us_per_message": round(
            (calls_after["cpu"] - calls_before["cpu"]) / messages * 1e6, 1
        ),
        "deliveries": deliveries,
        "cpu_s": round(cpu, 2),
        "cpu_us_per_delivery": round(cpu / deliveries * 1e6, 1) if deliveries else None,
        "frames_read": frames_read,
        "elapsed_s": round(elapsed, 1),
    }


def _group(home: dict[str, ServerProcess], members: list[tuple[dict[str, Any], str]]) -> str:
    """A group of ``members``, made by the first on its own process."""
    (owner, token), rest = members[0], members[1:]
    return new_group(home[owner["id"]].base, token, *(u for u, _ in rest))


async def _send_all(
    sends: list[tuple[str, tuple[dict[str, Any], str]]],
    home: dict[str, ServerProcess],
    concurrency: int,
) -> None:
    client = AsyncHTTPClient(max_clients=concurrency)
    queue = list(enumerate(sends))

    async def worker() -> None:
        while queue:
            n, (cid, (user, token)) = queue.pop()
            await client.fetch(
                HTTPRequest(
                    f"{home[user['id']].base}/api/conversations/{cid}/messages",
                    method="POST",
                    body=f'{{"client_id": "b{n}", "text": "hello {n}"}}',
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
            )

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _figures(server: ServerProcess, token: str) -> dict[str, Any]:
    system = call(server.base, "GET", "/api/system", token=token)["ezchat"]
    times = psutil.Process(server.proc.pid).cpu_times()
    return {
        "received": system["bus"]["received"],
        "relevant": system["bus"]["relevant"],
        "deliveries": system["deliveries"],
        "cpu": times.user + times.system,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=160)
    parser.add_argument("--groups", type=int, default=80)
    parser.add_argument("--messages", type=int, default=10, help="per group")
    parser.add_argument("--size", type=int, default=4, help="members per group")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results: dict[str, Any] = {"conditions": {**conditions(), **vars(args)}, "runs": []}
    rows = []
    for processes in (int(p) for p in args.processes.split(",")):
        for routing in ("broadcast", "conversation"):
            row = asyncio.run(measure(processes, routing, args, random.Random(7)))
            rows.append(row)
            print(row, flush=True)
    columns = [c for c in rows[0] if c != "per_process"]
    print(table(rows, columns))
    results["runs"] = rows
    print(f"results: {save('scaleout', results)}")


if __name__ == "__main__":
    main()
