"""A reconnect storm: every client comes back at once after a server restart.

    .venv/bin/python -m bench.storm [--users 2000,5000] [--group 10] [--history 20]

Users in groups of ``--group`` with ``--history`` messages each, on SQLite. The server is
restarted; then every user at once opens a WebSocket, waits for ``hello``, sends ``sync`` for
its conversations (from rev 0: the history comes back) and reads the newest page of each over
REST. Reported: the time until every client is done (and p50/p99 per client), errors, and
frames that reached a client before its ``hello`` (there must be none). The clients run in
this process on aiohttp, or with ``--client-processes N`` in N processes of their own (all
times on the machine's one monotonic clock); the server is ``python main.py`` (one process),
so clients and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.common import client_process, conditions, save, table
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, new_group, post, register


async def one_client(
    session: aiohttp.ClientSession, base: str, token: str, conversations: list[str]
) -> dict[str, Any]:
    started = time.perf_counter()
    ws = await session.ws_connect(
        f"{base.replace('http', 'ws')}/ws?token={token}", autoping=True, max_msg_size=0
    )
    early = 0
    while True:
        msg = await ws.receive_json(timeout=60)
        if msg["type"] == "hello":
            break
        early += 1
    await ws.send_json(
        {"type": "sync", "id": 1, "payload": {"conversations": dict.fromkeys(conversations, 0)}}
    )
    synced = 0
    while True:
        msg = await ws.receive_json(timeout=60)
        if msg.get("id") == 1:
            if msg["type"] != "ack":
                raise RuntimeError(f"sync refused: {msg}")
            synced = sum(len(c["messages"]) for c in msg["payload"]["conversations"].values())
            break
    headers = {"Authorization": f"Bearer {token}"}
    for cid in conversations:
        async with session.get(
            f"{base}/api/conversations/{cid}/messages?limit=50", headers=headers
        ) as resp:
            if resp.status != 200:
                raise RuntimeError(f"page: {resp.status}")
            await resp.read()
    done = time.perf_counter() - started
    reader = asyncio.ensure_future(_drain(ws))  # keep reading: a silent client is a slow one
    return {"s": done, "early": early, "synced": synced, "ws": ws, "reader": reader}


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


async def storm(
    base: str, users: list[tuple[str, list[str]]], hold: asyncio.Future[None] | None = None
) -> dict[str, Any]:
    """Every user at once; ``hold``: when given, the connections stay open (read) until it is
    done, as other processes' clients may still be coming back."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(one_client(session, base, token, convs) for token, convs in users),
            return_exceptions=True,
        )
        ended = time.perf_counter()
        ok = [r for r in results if isinstance(r, dict)]
        errors = [repr(r)[:200] for r in results if not isinstance(r, dict)]
        out = {
            "started": started,
            "ended": ended,
            "done_at": sorted(started + r["s"] for r in ok),
            "clients": len(users),
            "errors": errors,
            "frames_before_hello": sum(r["early"] for r in ok),
            "messages_synced": sum(r["synced"] for r in ok),
        }
        if hold is not None:
            print(json.dumps(out), flush=True)
            await hold
        for r in ok:
            r["reader"].cancel()
            await r["ws"].close()
    return out


def summary(parts: list[dict[str, Any]]) -> dict[str, Any]:
    started = min(p["started"] for p in parts)
    times = sorted(t - started for p in parts for t in p["done_at"])
    errors = [e for p in parts for e in p["errors"]]
    return {
        "clients": sum(p["clients"] for p in parts),
        "done": len(times),
        "errors": len(errors),
        "first_errors": errors[:3],
        "all_done_s": round(max(p["ended"] for p in parts) - started, 2),
        "p50_s": round(times[len(times) // 2], 2) if times else None,
        "p99_s": round(times[int(len(times) * 0.99) - 1], 2) if times else None,
        "frames_before_hello": sum(p["frames_before_hello"] for p in parts),
        "messages_synced": sum(p["messages_synced"] for p in parts),
    }


async def worker(params: dict[str, Any]) -> None:
    """One client process: its slice of the users, held open until stdin says ``close``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    hold: asyncio.Future[None] = loop.create_future()

    async def wait_close() -> None:
        await reader.readline()
        hold.set_result(None)

    waiting = asyncio.ensure_future(wait_close())
    await storm(params["base"], [tuple(u) for u in params["users"]], hold)
    await waiting


def storm_in_processes(base: str, users: list[tuple[str, list[str]]], n: int) -> dict[str, Any]:
    procs = [
        client_process("bench.storm", {"base": base, "users": users[k::n]}, stdin=True)
        for k in range(n)
    ]
    try:
        parts = [json.loads(p.stdout.readline()) for p in procs]
    finally:
        for p in procs:
            with contextlib.suppress(OSError):
                p.stdin.write("close\n")
                p.stdin.flush()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    return summary(parts)


def setup(server: ServerProcess, n: int, group: int, history: int) -> list[tuple[str, list[str]]]:
    users = [register(server.base, f"storm{i}") for i in range(n)]
    convs: dict[str, list[str]] = {u["id"]: [] for u, _ in users}
    for g in range(0, n - group + 1, group):
        members = users[g : g + group]
        (_, token), rest = members[0], members[1:]
        cid = new_group(server.base, token, *(u for u, _ in rest), name=f"g{g}")
        for u, _ in members:
            convs[u["id"]].append(cid)
        for k in range(history):
            post(server.base, members[k % group][1], cid, f"h{k}", f"history {k}")
    return [(token, convs[u["id"]]) for u, token in users]


def _profile(server: ServerProcess, path: str | None) -> subprocess.Popen[bytes] | None:
    if not path:
        return None
    spy = Path(sys.executable).parent / "py-spy"
    cmd = [str(spy), "record", "-o", path, "--pid", str(server.proc.pid), "--rate", "200", "--gil"]
    if path.endswith(".txt"):
        cmd += ["--format", "raw"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the storm starts
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="2000,5000")
    parser.add_argument("--group", type=int, default=10)
    parser.add_argument("--history", type=int, default=20)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="run the clients in this many processes of their own (1: in this one)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda s: tuple(s.split("=", 1)),
        help="NAME=VALUE for the server (repeatable), e.g. EVENT_LOOP=asyncio",
    )
    parser.add_argument(
        "--profile", help="py-spy the restarted server into this file (.svg, or .txt: collapsed)"
    )
    args = parser.parse_args()
    rows = []
    for n in (int(x) for x in args.users.split(",")):
        with tempfile.TemporaryDirectory(prefix="ezchat-storm-") as tmp:
            env = {**EZCHAT_ENV, "SECRET_KEY": "bench", "STORAGE": "sqlite", **dict(args.env)}
            server = ServerProcess(Path(tmp), **env)
            try:
                server.wait_ready()
                users = setup(server, n, args.group, args.history)
                server.stop()
                server = ServerProcess(Path(tmp), PORT=str(server.port), **env)
                server.wait_ready()
                spy = _profile(server, args.profile)
                proc = psutil.Process(server.proc.pid)
                cpu = sum(proc.cpu_times()[:2])
                if args.client_processes > 1:
                    row = storm_in_processes(server.base, users, args.client_processes)
                else:
                    row = summary([asyncio.run(storm(server.base, users))])
                row["server_cpu_s"] = round(sum(proc.cpu_times()[:2]) - cpu, 2)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                    spy.wait(60)
            finally:
                server.stop()
        rows.append({"users": n, **row})
        print(rows[-1], flush=True)
    print(table(rows, [c for c in rows[0] if c != "first_errors"]))
    print(f"results: {save('storm', {'conditions': {**conditions(), **vars(args)}, 'runs': rows})}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("@"):
        asyncio.run(worker(json.loads(Path(sys.argv[1][1:]).read_text())))
    else:
        main()
