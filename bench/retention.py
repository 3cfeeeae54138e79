"""Retention sweeping a large history while people send: send-to-ack latency at a steady rate
with no sweep, then while the sweeper tombstones an old conversation's messages.

    .venv/bin/python -m bench.retention [--messages 1000000] [--rate 100] [--quiet-s 20]
                                        [--max-sweep-s 900]

One server process on SQLite (FULL, group commit), RETENTION_POLL_S=1 and the default
RETENTION_BATCH / RETENTION_PAUSE_MS. ``--messages`` two-year-old messages are written into
one group straight into the database file (and indexed for search) before the server starts.
A sender in this process sends ``--rate`` messages per second on a fixed schedule (open loop:
a late ack does not slow the next send) into another group; each send's time to its ack is
recorded. First ``--quiet-s`` seconds with no retention; then the old group's admin sets
``retention_days: 30`` and the sender goes on until every old message is a tombstone (or
``--max-sweep-s``). Swept counts are read from the database file meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

from bench.common import conditions, save, summary_ms, table
from tests.e2e.processes import ServerProcess, call

SERVER = {
    "STORAGE": "sqlite",
    "MESSAGE_RATE_PER_SEC": "1000000",
    "MESSAGE_BURST": "1000000",
    "RETENTION_POLL_S": "1",
    "LOG_LEVEL": "WARNING",
}


def fill(db: Path, conversation_id: str, sender_id: str, count: int) -> None:
    """``count`` messages two years old, as the store would have written them, then the
    search index built over them."""
    old = datetime.now(UTC) - timedelta(days=730)
    conn = sqlite3.connect(db)
    with conn:
        rows = (
            (
                f"{i:032x}", conversation_id, i, i, f"old-{i}", sender_id,
                f"an old message number {i} about nothing much", "[]", None, "[]",
                (old + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            )
            for i in range(1, count + 1)
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, seq, rev, client_id, sender_id, text,"
            " attachments, reply_to, reactions, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute(
            "UPDATE conversations SET last_seq = ?, rev = ? WHERE id = ?",
            (count, count, conversation_id),
        )
        conn.execute("DELETE FROM messages_unindexed")
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    conn.close()


def swept(db: Path, conversation_id: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ? AND deleted = 1",
            (conversation_id,),
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


async def sender(port: int, token: str, cid: str, rate: float, phases: dict[str, Any]) -> None:
    """Sends on a fixed schedule until ``phases["stop"]`` is set; latencies go to the list
    of the phase current when each send went out."""
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws?token={token}", ping_interval=None)
    await conn.read_message()  # hello
    loop = asyncio.get_running_loop()
    sent_at: dict[int, tuple[float, str]] = {}

    async def read() -> None:
        while True:
            raw = await conn.read_message()
            if raw is None:
                return
            reply = json.loads(raw)
            if reply.get("type") == "ack" and reply.get("id") in sent_at:
                at, phase = sent_at.pop(reply["id"])
                phases[phase].append(loop.time() - at)

    reader = loop.create_task(read())
    start, i = loop.time(), 0
    while not phases["stop"]:
        i += 1
        sent_at[i] = (loop.time(), phases["now"])
        frame = {"type": "message.send", "id": i,
                 "payload": {"conversation_id": cid, "client_id": f"s{i}", "text": f"m{i}"}}  # fmt: skip
        await conn.write_message(json.dumps(frame))
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
    await asyncio.sleep(1)  # the last acks
    phases["unacked"] = len(sent_at)
    conn.close()
    reader.cancel()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="ezchat-retention-"))
    db = data / "ezchat.db"
    server = ServerProcess(data, **SERVER)
    server.wait_ready()
    login = call(server.base, "POST", "/api/auth/register",
                 {"username": "admin1", "password": "password-1"})  # fmt: skip
    token, uid = login["token"], login["user"]["id"]
    archive = call(server.base, "POST", "/api/conversations",
                   {"type": "group", "name": "archive"}, token=token)["id"]  # fmt: skip
    live = call(server.base, "POST", "/api/conversations",
                {"type": "group", "name": "live"}, token=token)["id"]  # fmt: skip
    server.stop()
    began = time.monotonic()
    fill(db, archive, uid, args.messages)
    fill_s = round(time.monotonic() - began, 1)
    server = ServerProcess(data, PORT=str(server.port), **SERVER)
    try:
        server.wait_ready()
        token = call(server.base, "POST", "/api/auth/login",
                     {"username": "admin1", "password": "password-1"})["token"]  # fmt: skip
        phases: dict[str, Any] = {"quiet": [], "sweeping": [], "now": "quiet", "stop": False}
        task = asyncio.get_running_loop().create_task(
            sender(server.port, token, live, args.rate, phases)
        )
        await asyncio.sleep(args.quiet_s)
        call(server.base, "PATCH", f"/api/conversations/{archive}", {"retention_days": 30},
             token=token)  # fmt: skip
        phases["now"] = "sweeping"
        sweep_start = time.monotonic()
        progress = []
        done = 0
        while time.monotonic() - sweep_start < args.max_sweep_s:
            await asyncio.sleep(5)
            done = await asyncio.to_thread(swept, db, archive)
            progress.append((round(time.monotonic() - sweep_start), done))
            if done >= args.messages:
                break
        sweep_s = time.monotonic() - sweep_start
        phases["stop"] = True
        await task
    finally:
        server.stop()
    rows = [
        {"phase": "no sweep", "sends": len(phases["quiet"]), **summary_ms(phases["quiet"])},
        {"phase": "sweeping", "sends": len(phases["sweeping"]), **summary_ms(phases["sweeping"])},
    ]
    return {
        "conditions": conditions(),
        "messages": args.messages,
        "rate_per_s": args.rate,
        "fill_s": fill_s,
        "swept": done,
        "sweep_s": round(sweep_s, 1),
        "swept_per_s": round(done / sweep_s, 1) if sweep_s else None,
        "unacked_at_end": phases.get("unacked"),
        "progress": progress,
        "rows": rows,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--quiet-s", type=float, default=20.0)
    p.add_argument("--max-sweep-s", type=float, default=900.0)
    args = p.parse_args()
    result = asyncio.run(run(args))
    save("retention", result)
    print(table(result["rows"], ["phase", "sends", "p50_ms", "p99_ms", "mean_ms"]))
    print({k: v for k, v in result.items() if k not in ("rows", "progress", "conditions")})


if __name__ == "__main__":
    main()
