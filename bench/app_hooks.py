"""What an app's hooks add to a send: send-to-ack latency and acked sends per second with no
hook, with a before-send hook answering in 1 ms, and with an event webhook hearing every event
(its deliveries recorded before each ack).

    .venv/bin/python -m bench.app_hooks [--duration 10] [--connections 50] [--delay-ms 1]

The load is bench.send_ack's (each connection alone in a group, sending in a closed loop, so
the figures are the write path's). One server process (SQLite FULL, group commit of 64 with a
2 ms wait), the load client in this process, the hook or receiver (bench.hook_server, Tornado)
in a third; all on this 2-core machine, so the figures include the three sharing it.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import conditions, save, table
from bench.send_ack import LIMITS, load
from tests.e2e.processes import ROOT, ServerProcess, call
from tests.ports import free_port

GROUP = {"STORAGE": "sqlite", "MESSAGE_BATCH_SIZE": "64", "MESSAGE_BATCH_DELAY_MS": "2"}


def start_hook(delay_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.hook_server", "--port", str(port), "--delay-ms",
         str(delay_ms)],
        cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/hook"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}"), timeout=1).read()
            return proc, url
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)


def run_case(name: str, env: dict[str, str], args: argparse.Namespace, webhook: str = "") -> Any:
    with tempfile.TemporaryDirectory(prefix="ezchat-bench-") as tmp:
        server = ServerProcess(Path(tmp), **LIMITS, **GROUP, **env)
        try:
            server.wait_ready()
            if webhook:
                made = subprocess.run(
                    [sys.executable, "-m", "ezchat", "keys", "create", "bench"],
                    cwd=ROOT, env={**server._environ}, capture_output=True, text=True, check=True,
                )  # fmt: skip
                key = made.stdout.splitlines()[0].strip()
                hook = {"url": webhook, "events": ["*"]}
                call(server.base, "POST", "/api/server/webhooks", hook, token=key)
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
    parser.add_argument("--delay-ms", type=float, default=1.0)
    args = parser.parse_args()
    before = conditions()
    started = time.time()
    proc, url = start_hook(args.delay_ms)
    try:
        rows = [
            run_case("no hook", {}, args),
            run_case(
                f"before-send hook ({args.delay_ms:g} ms)",
                {"BEFORE_SEND_URL": url, "BEFORE_SEND_SECRET": "bench-secret"},
                args,
            ),
            run_case("event webhook on *", {}, args, webhook=url),
        ]
    finally:
        proc.kill()
        proc.wait(10)
    base = rows[0]
    for row in rows:
        row["added_p50_ms"] = round(row["p50_ms"] - base["p50_ms"], 2)
        row["vs_no_hook_rate"] = round(row["acked_per_s"] / base["acked_per_s"], 2)
    columns = ["case", "acked_per_s", "vs_no_hook_rate", "p50_ms", "added_p50_ms", "p99_ms"]
    print(table(rows, columns))
    path = save(
        "app_hooks",
        {
            "benchmark": "app_hooks",
            "conditions": {**before, **vars(args), "seconds_total": round(time.time() - started)},
            "results": rows,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
