"""How long ezchat.testing takes to give a test a running server: ``serve()`` entered (the app
started, its port bound) and left, and the pytest fixture's ``serve_in_thread()``.

    .venv/bin/python -m bench.test_server [--runs 30]

One process, on this machine; each run a fresh server (memory stores, its own temporary
directory). The first run is reported apart: it pays for the imports' first use.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench.common import conditions, save, table
from ezchat.testing import serve, serve_in_thread


async def in_loop(runs: int) -> tuple[list[float], list[float]]:
    starts, stops = [], []
    for _ in range(runs):
        began = time.perf_counter()
        async with serve() as server:
            started = time.perf_counter()
            assert server.url
        stops.append(time.perf_counter() - started)
        starts.append(started - began)
    return starts, stops


def threaded(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        with serve_in_thread() as server:
            out.append(time.perf_counter() - began)
            assert server.url
    return out


def row(name: str, seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "what": name,
        "first_ms": round(seconds[0] * 1000, 1),
        "median_ms": round(statistics.median(ms[1:] or ms), 1),
        "max_ms": round(max(ms[1:] or ms), 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=30)
    args = p.parse_args()
    starts, stops = asyncio.run(in_loop(args.runs))
    rows = [row("serve(): start", starts), row("serve(): stop", stops),
            row("serve_in_thread(): start", threaded(args.runs))]  # fmt: skip
    save("test_server", {"conditions": conditions(), "runs": args.runs, "rows": rows})
    print(table(rows, ["what", "first_ms", "median_ms", "max_ms"]))


if __name__ == "__main__":
    main()
