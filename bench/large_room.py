"""A large room: one group of many members, all connected to one server process.

    .venv/bin/python -m bench.large_room [--members 10000] [--processes 4] [--duration 30]

Every member connects at once (clients in ``--processes`` processes of bench.room_client, the
server is ``python main.py`` on SQLite, one process). Measured, in order:

1. connect: from the start until the last member has its ``hello``;
2. a 10-member room alone: 5 msg/s for 10 s, delivery p50/p99 at its members;
3. one message into the large room: send to last delivery, over all members;
4. busy: 2 msg/s into the large room for ``--duration`` s while 1 in 50 of its members send
   typing and read receipts every 2 s, a member is added and removed every 2 s, and the small
   room keeps its 5 msg/s: deliveries, p50/p99/max at the large room's clients, the small
   room's p99 (against its p99 alone), server RSS and CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.common import (
    client_process,
    conditions,
    lag_between,
    loop_lag_buckets,
    save,
    table,
)
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess

RUN = str(int(time.time()))


async def register_all(session: aiohttp.ClientSession, base: str, n: int, prefix: str) -> list:
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> tuple[str, str]:
        async with sem:
            body = {"username": f"{prefix}{i}", "password": "password-1"}
            async with session.post(f"{base}/api/auth/register", json=body) as r:
                data = await r.json()
                if r.status != 201:
                    raise RuntimeError(f"register: {r.status} {data}")
                return data["user"]["id"], data["token"]

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def api(session, base, method, path, token, body=None, *, parse: bool = True) -> Any:
    """``parse=False``: the answer is read but not decoded (a 10,000-member conversation is
    1.5 MB of JSON, whose decoding would stall this process's small-room readers)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with session.request(method, base + path, json=body, headers=headers) as r:
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {await r.text()}")
        if r.status == 204:
            return None
        return await r.json() if parse else await r.read()


def start_clients(ws: str, tokens: list[str], cid: str, processes: int, chatty: int) -> list:
    procs = []
    for k in range(processes):
        params = {
            "ws": ws,
            "tokens": tokens[k::processes],
            "conversation_id": cid,
            "chatty": chatty,
        }
        procs.append(client_process("bench.room_client", params, stdin=True))
    return procs


def ask(procs: list, command: str) -> list[dict[str, Any]]:
    for p in procs:
        p.stdin.write(command + "\n")
        p.stdin.flush()
    if command.startswith("report"):
        return [json.loads(p.stdout.readline()) for p in procs]
    return []


def merged(reports: list[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter[int] = Counter()
    last: dict[str, float] = {}
    for r in reports:
        counts.update({int(k): v for k, v in r["latency_ms_counts"].items()})
        for key, s in r["last_s"].items():
            last[key] = max(last.get(key, 0.0), s)
    total = sum(counts.values())

    def q(p: float) -> int | None:
        seen = 0
        for ms in sorted(counts):
            seen += counts[ms]
            if seen >= p * total:
                return ms
        return None

    return {
        "deliveries": total,
        "p50_ms": q(0.5),
        "p99_ms": q(0.99),
        "max_ms": max(counts, default=None),
        "slowest_last_delivery_ms": round(max(last.values(), default=0) * 1000, 1),
        "messages": len(last),
    }


class Sender:
    """A WebSocket of one member that sends stamped messages and reads what comes back."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, cid: str) -> None:
        self.ws, self.cid, self.n = ws, cid, 0
        self.reader = asyncio.ensure_future(self._read())

    async def send(self, phase: str) -> None:
        self.n += 1
        text = f"t={time.perf_counter():.6f} p={phase} k={self.n}"
        frame = {
            "type": "message.send",
            "id": self.n,
            "payload": {"conversation_id": self.cid, "client_id": f"{RUN}-{self.n}", "text": text},
        }
        await self.ws.send_str(json.dumps(frame))

    async def _read(self) -> None:
        async for _ in self.ws:
            pass


async def small_room_load(senders: list[Sender], rate: float, secs: float) -> None:
    loop = asyncio.get_running_loop()
    start, n = loop.time(), 0
    while loop.time() - start < secs:
        await senders[n % len(senders)].send("small")
        n += 1
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))


async def read_small(ws: aiohttp.ClientWebSocketResponse, out: list[float]) -> None:
    from bench.loadgen import stamp_of

    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT and msg.data.startswith('{"type":"message.new"'):
            ts = stamp_of(msg.data)
            if ts is not None and " p=small" in msg.data:
                out.append(time.perf_counter() - ts)


def profile(server: ServerProcess, path: str | None, phase: str) -> subprocess.Popen | None:
    """py-spy on the server for one phase, into PATH with the phase in its name (.txt:
    collapsed stacks, else an SVG flame graph)."""
    if not path:
        return None
    stem, dot, ext = path.rpartition(".")
    out = f"{stem}-{phase}.{ext}"
    spy = Path(sys.executable).parent / "py-spy"
    cmd = [str(spy), "record", "-o", out, "--pid", str(server.proc.pid), "--rate", "200"]
    if ext == "txt":
        cmd += ["--format", "raw"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc


def stop_profile(spy: subprocess.Popen | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p * (len(s) - 1)))] * 1000, 1)


async def scenario(server: ServerProcess, args: argparse.Namespace) -> dict[str, Any]:
    base, ws_url = server.base, server.base.replace("http", "ws") + "/ws"
    proc = psutil.Process(server.proc.pid)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    t0 = time.perf_counter()
    members = await register_all(session, base, args.members, "big")
    small = await register_all(session, base, 10, "small")
    extra = await register_all(session, base, 1, "extra")
    owner = members[0][1]
    big = await api(
        session,
        base,
        "POST",
        "/api/conversations",
        owner,
        {"type": "group", "name": "general", "member_ids": [u for u, _ in members[1:]]},
    )
    small_conv = await api(
        session,
        base,
        "POST",
        "/api/conversations",
        small[0][1],
        {"type": "group", "name": "team", "member_ids": [u for u, _ in small[1:]]},
    )
    setup_s = time.perf_counter() - t0
    rss_idle = proc.memory_info().rss

    chatty = max(1, (args.members // 50) // args.processes)
    cpu0 = sum(proc.cpu_times()[:2])
    spy = profile(server, args.profile, "connect")
    procs = start_clients(ws_url, [t for _, t in members[1:]], big["id"], args.processes, chatty)
    try:
        hellos = [json.loads(p.stdout.readline()) for p in procs]
        started = min(h["started"] for h in hellos)
        all_hellos = sorted(x for h in hellos for x in h["hellos"])
        connect = {
            "connected": sum(h["connected"] for h in hellos),
            "connect_errors": sum(h["errors"] for h in hellos),
            "first_errors": [e for h in hellos for e in h["first_errors"]][:3],
            "connect_all_s": round(max(h["last_hello"] for h in hellos) - started, 2),
            "connect_p50_s": round(all_hellos[len(all_hellos) // 2] - started, 2)
            if all_hellos
            else None,
            "connect_server_cpu_s": round(sum(proc.cpu_times()[:2]) - cpu0, 1),
        }
        print(connect, flush=True)
        stop_profile(spy)
        await asyncio.sleep(3)  # presence and the like settle

        bws = await session.ws_connect(ws_url, headers={"Authorization": f"Bearer {owner}"})
        await bws.receive()
        sender = Sender(bws, big["id"])
        small_ws = []
        for _, tok in small:
            w = await session.ws_connect(ws_url, headers={"Authorization": f"Bearer {tok}"})
            await w.receive()
            small_ws.append(w)
        small_senders = [Sender(w, small_conv["id"]) for w in small_ws[:2]]
        alone: list[float] = []
        small_readers = [asyncio.ensure_future(read_small(w, alone)) for w in small_ws[2:]]
        await small_room_load(small_senders, 5, 10)
        await asyncio.sleep(1)
        small_alone = {"small_p50_ms": pct(alone, 0.5), "small_p99_ms": pct(alone, 0.99)}
        alone.clear()

        await sender.send("one")
        await asyncio.sleep(5)
        one = merged(ask(procs, "report one"))

        ask(procs, "chat")
        lag0 = loop_lag_buckets(base)
        spy = profile(server, args.profile, "busy")
        cpu1, w1 = sum(proc.cpu_times()[:2]), time.perf_counter()
        rss: list[int] = []
        changes: list[float] = []

        async def big_load() -> None:
            loop = asyncio.get_running_loop()
            start, n = loop.time(), 0
            while loop.time() - start < args.duration:
                await sender.send("busy")
                n += 1
                await asyncio.sleep(max(0.0, start + n / args.rate - loop.time()))

        async def member_changes() -> None:
            """A member added and removed every 2 s, timed from the admin's side."""
            loop = asyncio.get_running_loop()
            start = loop.time()
            while args.member_changes and loop.time() - start < args.duration:
                rss.append(proc.memory_info().rss)
                c0 = time.perf_counter()
                path = f"/api/conversations/{big['id']}/members"
                await api(session, base, "POST", path, owner, {"user_id": extra[0][0]}, parse=False)
                await api(session, base, "DELETE", f"{path}/{extra[0][0]}", owner)
                changes.append(time.perf_counter() - c0)
                await asyncio.sleep(max(0.0, 2 - (time.perf_counter() - c0)))

        await asyncio.gather(
            big_load(),
            member_changes(),
            small_room_load(small_senders, 5, args.duration),
        )
        busy_cpu = (sum(proc.cpu_times()[:2]) - cpu1) / (time.perf_counter() - w1)
        lag = lag_between(lag0, loop_lag_buckets(base))
        stop_profile(spy)
        await asyncio.sleep(5)
        ask(procs, "quiet")
        busy = merged(ask(procs, "report busy"))
        small_busy = {"small_p50_ms": pct(alone, 0.5), "small_p99_ms": pct(alone, 0.99)}
        for t in small_readers:
            t.cancel()
        for s in (sender, *small_senders):
            s.reader.cancel()
        return {
            "members": args.members,
            "setup_s": round(setup_s, 1),
            **connect,
            "one_message": one,
            "busy": {
                **busy,
                "rate": args.rate,
                "expected": int(args.rate * args.duration) * len(members),
                "server_cpu_cores": round(busy_cpu, 2),
                "server_loop_lag": lag,
                "member_add_remove_p50_ms": pct(changes, 0.5),
                "member_add_remove_max_ms": pct(changes, 1.0),
                "rss_mb_start_end": [round(rss[0] / 2**20), round(rss[-1] / 2**20)]
                if rss
                else None,
            },
            "rss_idle_mb": round(rss_idle / 2**20),
            "small_alone": small_alone,
            "small_busy": small_busy,
        }
    finally:
        for p in procs:
            try:
                p.stdin.write("quit\n")
                p.stdin.flush()
            except OSError:
                pass
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument(
        "--no-member-changes",
        dest="member_changes",
        action="store_false",
        help="leave out the add and remove of a member every 2 s while busy",
    )
    parser.add_argument("--profile", help="py-spy the server per phase into FILE (.txt or .svg)")
    parser.add_argument("--env", action="append", default=[], type=lambda s: tuple(s.split("=", 1)))
    args = parser.parse_args()
    env = {
        **EZCHAT_ENV,
        "STORAGE": "sqlite",
        "MAX_GROUP_MEMBERS": str(args.members + 10),
        "PASSWORD_HASH_N": "2",
        "REGISTER_MAX_PER_ADDRESS": "1000000",
        **dict(args.env),
    }
    with tempfile.TemporaryDirectory(prefix="ezchat-room-") as tmp:
        server = ServerProcess(Path(tmp), **env)
        try:
            server.wait_ready()
            row = asyncio.run(scenario(server, args))
        finally:
            server.stop()
    print(json.dumps(row, indent=2))
    flat = {k: v for k, v in row.items() if not isinstance(v, dict | list)}
    print(table([flat], list(flat)))
    print(
        f"results: {save('large_room', {'conditions': {**conditions(), **vars(args)}, 'run': row})}"
    )


if __name__ == "__main__":
    main()
