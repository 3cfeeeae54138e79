"""Direct-message round trip: A sends, B replies as soon as A's message arrives, A receives the
reply; the time from A's send to the reply, one at a time.

    .venv/bin/python -m bench.dm_rtt [--rounds 300] [--env NAME=VALUE ...]

Both clients on aiohttp in this process, the server is ``python main.py`` on SQLite (every
message durably stored before it is acked and delivered). Each ``--env`` set is run in turn
against a fresh server, so settings can be compared in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import report_runs, summary_ms
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, new_direct, register


async def rounds(base: str, ta: str, tb: str, cid: str, n: int) -> list[float]:
    ws_base = base.replace("http", "ws") + "/ws?token="
    async with aiohttp.ClientSession() as session:
        a = await session.ws_connect(ws_base + ta)
        b = await session.ws_connect(ws_base + tb)
        for ws in (a, b):
            while (await ws.receive_json())["type"] != "hello":
                pass

        async def replier() -> None:
            async for msg in b:
                frame = json.loads(msg.data)
                if frame["type"] == "message.new" and frame["payload"]["message"]["text"][0] == "q":
                    text = "r" + frame["payload"]["message"]["text"][1:]
                    await b.send_json(_send(cid, text))

        task = asyncio.ensure_future(replier())
        out = []
        for i in range(n):
            started = time.perf_counter()
            await a.send_json(_send(cid, f"q{i}"))
            while True:
                frame = await a.receive_json(timeout=10)
                if (
                    frame["type"] == "message.new"
                    and frame["payload"]["message"]["text"] == f"r{i}"
                ):
                    break
            out.append(time.perf_counter() - started)
        task.cancel()
        await a.close()
        await b.close()
    return out[10:]  # the first rounds warm the caches


def _send(cid: str, text: str) -> dict[str, Any]:
    return {
        "type": "message.send",
        "id": text,
        "payload": {"conversation_id": cid, "client_id": text + str(time.time()), "text": text},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        help="NAME=VALUE[,NAME=VALUE] for one server (repeatable: one run each)",
    )
    args = parser.parse_args()
    rows = []
    for spec in args.env or [""]:
        extra = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
        with tempfile.TemporaryDirectory(prefix="ezchat-rtt-") as tmp:
            server = ServerProcess(
                Path(tmp), **{**EZCHAT_ENV, "SECRET_KEY": "bench", "STORAGE": "sqlite", **extra}
            )
            try:
                server.wait_ready()
                alice, ta = register(server.base, "alice")
                bob, tb = register(server.base, "bob")
                cid = new_direct(server.base, ta, bob)
                times = asyncio.run(rounds(server.base, ta, tb, cid, args.rounds))
            finally:
                server.stop()
        rows.append({"settings": spec or "defaults", **summary_ms(times)})
        print(rows[-1], flush=True)
    report_runs("dm_rtt", args, rows)


if __name__ == "__main__":
    main()
