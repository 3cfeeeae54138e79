"""How much of what each process decodes from Redis it needed: with 1, 2 and 4 server processes
sharing one store and one Redis, users spread evenly over them, small groups with members on
any process. For each process, the remote events it decoded (``received``) over those with a
recipient connected to it (``relevant``), from /api/system.

    .venv/bin/python -m bench.routing [--users 120] [--groups 60] [--messages 5]

Today every process decodes every event (one channel), so the ratio grows with the processes;
targeted routing (issue 15) is to bring it to at most 1.2."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

from bench.common import conditions, save, table
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, call, post, register


async def measure(processes: int, args: argparse.Namespace, redis: str) -> dict[str, Any]:
    rng = random.Random(7)
    prefix = f"route{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="ezchat-routing-") as tmp:
        env = {**EZCHAT_ENV, "REDIS_URL": redis, "REDIS_PREFIX": prefix, "SECRET_KEY": "bench"}
        servers = [ServerProcess(Path(tmp), **env) for _ in range(processes)]
        conns = []
        try:
            for s in servers:
                s.wait_ready()
            users = [register(servers[0].base, f"user{i}") for i in range(args.users)]
            home = {u["id"]: servers[i % processes] for i, (u, _) in enumerate(users)}
            for u, token in users:
                conns.append(
                    await websocket_connect(f"ws://127.0.0.1:{home[u['id']].port}/ws?token={token}")
                )
            groups = []
            for _ in range(args.groups):
                members = rng.sample(users, 4)
                (owner, token), rest = members[0], members[1:]
                body = {"type": "group", "name": "g", "member_ids": [u["id"] for u, _ in rest]}
                cid = call(home[owner["id"]].base, "POST", "/api/conversations", body, token=token)
                groups.append((cid["id"], owner, token))
            await asyncio.sleep(1.0)
            before = [_bus(s, users[0][1]) for s in servers]
            for n in range(args.messages):
                for cid, owner, token in groups:
                    post(home[owner["id"]].base, token, cid, f"m{n}-{cid}", "hello")
            await asyncio.sleep(2.0)
            after = [_bus(s, users[0][1]) for s in servers]
        finally:
            for c in conns:
                c.close()
            for s in servers:
                s.stop()
    rows = []
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        received = a["received"] - b["received"]
        relevant = a["relevant"] - b["relevant"]
        rows.append(
            {
                "processes": processes,
                "process": i,
                "received": received,
                "relevant": relevant,
                "ratio": round(received / relevant, 2) if relevant else None,
            }
        )
    return {"processes": processes, "rows": rows}


def _bus(server: ServerProcess, token: str) -> dict[str, int]:
    return dict(call(server.base, "GET", "/api/system", token=token)["ezchat"]["bus"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results: dict[str, Any] = {"conditions": conditions(), "runs": []}
    for processes in (2, 4):
        run = asyncio.run(measure(processes, args, args.redis))
        results["runs"].append(run)
        print(table(run["rows"], ["processes", "process", "received", "relevant", "ratio"]))
    print(f"results: {save('routing', results)}")


if __name__ == "__main__":
    main()
