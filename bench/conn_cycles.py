"""Does the server give memory back when connections close, and does it grow cycle after cycle?

    .venv/bin/python -m bench.conn_cycles [--connections 10000] [--cycles 3]

One server process (``python main.py``, SQLite). Each cycle opens ``--connections`` WebSocket
connections (distinct users, raw sockets from this process, each waiting for ``hello``), takes
the server's RSS, closes them all, waits until the server counts none, and takes its RSS again.
A leak shows as peaks that grow from cycle to cycle; memory the allocator keeps shows as an
RSS after closing that stays near the peak while the next peaks do not grow.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import conditions, save, table
from bench.conn_memory import open_raw
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, call, register


async def open_all(port: int, tokens: list[str], batch: int = 500) -> list[socket.socket]:
    out: list[socket.socket] = []
    for i in range(0, len(tokens), batch):
        out += await asyncio.gather(*(open_raw(port, t) for t in tokens[i : i + batch]))
    return out


def connections(server: ServerProcess, token: str) -> int:
    return int(call(server.base, "GET", "/api/system", token=token)["ezchat"]["connections"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ezchat-cycles-") as tmp:
        env = {**EZCHAT_ENV, "SECRET_KEY": "bench", "STORAGE": "sqlite"}
        server = ServerProcess(Path(tmp), **env)
        try:
            server.wait_ready()
            tokens = [register(server.base, f"cyc{i}")[1] for i in range(args.connections)]
            probe = tokens[0]
            proc = psutil.Process(server.proc.pid)
            start_rss = proc.memory_info().rss
            for cycle in range(1, args.cycles + 1):
                socks = asyncio.run(open_all(server.port, tokens))
                time.sleep(1.0)
                peak = proc.memory_info().rss
                for s in socks:
                    s.close()
                end = time.monotonic() + 60
                while connections(server, probe) and time.monotonic() < end:
                    time.sleep(0.2)
                time.sleep(1.0)
                after = proc.memory_info().rss
                rows.append(
                    {
                        "cycle": cycle,
                        "connections": len(socks),
                        "rss_before_mb": round(start_rss / 2**20, 1),
                        "rss_peak_mb": round(peak / 2**20, 1),
                        "rss_after_close_mb": round(after / 2**20, 1),
                        "per_connection_kb": round((peak - start_rss) / len(socks) / 1024, 1),
                    }
                )
                print(rows[-1], flush=True)
        finally:
            server.stop()
    print(table(rows, list(rows[0])))
    first = rows[0]["rss_peak_mb"]
    worst = max(r["rss_peak_mb"] for r in rows)
    print(f"peaks within {100 * (worst / first - 1):.1f}% of the first cycle's")
    print(
        f"results: {save('conn_cycles', {'conditions': {**conditions(), **vars(args)}, 'runs': rows})}"
    )


if __name__ == "__main__":
    main()
