"""A reconnect storm: every client comes back at once after a server restart.

    .venv/bin/python -m bench.storm [--users 2000,5000] [--group 10] [--history 20]

Users in groups of ``--group`` with ``--history`` messages each, on SQLite. The server is
restarted; then every user at once opens a WebSocket, waits for ``hello``, sends ``sync`` for
its conversations (from rev 0: the history comes back) and reads the newest page of each over
REST. Reported: the time until every client is done (and p50/p99 per client), errors, and
frames that reached a client before its ``hello`` (there must be none). The client runs in
this process on aiohttp; the server is ``python main.py`` (one process), so both share the
machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.common import conditions, save, table
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


async def storm(base: str, users: list[tuple[str, list[str]]]) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(one_client(session, base, token, convs) for token, convs in users),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
        ok = [r for r in results if isinstance(r, dict)]
        errors = [repr(r)[:200] for r in results if not isinstance(r, dict)]
        for r in ok:
            r["reader"].cancel()
            await r["ws"].close()
    times = sorted(r["s"] for r in ok)
    return {
        "clients": len(users),
        "done": len(ok),
        "errors": len(errors),
        "first_errors": errors[:3],
        "all_done_s": round(elapsed, 2),
        "p50_s": round(times[len(times) // 2], 2) if times else None,
        "p99_s": round(times[int(len(times) * 0.99) - 1], 2) if times else None,
        "frames_before_hello": sum(r["early"] for r in ok),
        "messages_synced": sum(r["synced"] for r in ok),
    }


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
                row = asyncio.run(storm(server.base, users))
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
    main()
