"""A soak: steady mixed load on one server for a long time, watching for drift.

    .venv/bin/python -m bench.soak [--minutes 60] [--users 2000] [--rate 20] [--warmup 10]

``--users`` members in groups of 10 (SQLite, one server process, defaults but rate limits),
connected from 2 client processes (bench.soak_client) that send ``--rate`` messages/s in all,
with edits, reactions, read receipts, typing, and 4 reconnects (with ``sync``) a second. The
server's RSS and open file descriptors are sampled every 10 s; each client process reports the
send-to-ack and send-to-delivery p50/p99 of every minute. Reported: RSS and descriptor growth
after ``--warmup`` minutes, and the p99 of the last 10 minutes against the first 10 after
warm-up; a plot of RSS and p99 over time (bench/results/soak.png, with matplotlib).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import RESULTS, client_process, conditions, save
from bench.run import EZCHAT_ENV
from tests.e2e.processes import ServerProcess, new_group, register

PROCESSES = 2


def setup(base: str, users: int) -> list[tuple[str, list[str]]]:
    made = [register(base, f"soak{i}") for i in range(users)]
    out = []
    for g in range(0, users, 10):
        members = made[g : g + 10]
        cid = new_group(base, members[0][1], *(u for u, _ in members[1:]), name=f"s{g}")
        out += [(token, [cid]) for _, token in members]
    return out


def sampler(pid: int, stop: threading.Event, samples: list[dict[str, float]]) -> None:
    proc = psutil.Process(pid)
    start = time.monotonic()
    while not stop.wait(10):
        samples.append(
            {
                "t_min": round((time.monotonic() - start) / 60, 2),
                "rss_mb": round(proc.memory_info().rss / 2**20, 1),
                "fds": proc.num_fds(),
            }
        )


def mean_of(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.fmean(values), 2) if values else None


def plot(samples: list[dict[str, float]], minutes: list[dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (a, b) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    a.plot([s["t_min"] for s in samples], [s["rss_mb"] for s in samples])
    a.set_ylabel("server RSS (MB)")
    b.plot([m["minute"] for m in minutes], [m["ack_p99_ms"] for m in minutes], label="ack p99")
    b.plot(
        [m["minute"] for m in minutes],
        [m["delivery_p99_ms"] for m in minutes],
        label="delivery p99",
    )
    b.set_ylabel("ms")
    b.set_xlabel("minutes")
    b.legend()
    fig.tight_layout()
    fig.savefig(path)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=10)
    args = parser.parse_args()
    env = {**EZCHAT_ENV, "STORAGE": "sqlite", "PASSWORD_HASH_N": "2"}
    env["REGISTER_MAX_PER_ADDRESS"] = "1000000"
    with tempfile.TemporaryDirectory(prefix="ezchat-soak-") as tmp:
        server = ServerProcess(Path(tmp), **env)
        procs: list[subprocess.Popen[str]] = []
        stop = threading.Event()
        samples: list[dict[str, float]] = []
        try:
            server.wait_ready()
            members = setup(server.base, args.users)
            ws = server.base.replace("http", "ws") + "/ws"
            for k in range(PROCESSES):
                params = {
                    "ws": ws,
                    "members": members[k::PROCESSES],
                    "rate": args.rate / PROCESSES,
                    "duration": args.minutes * 60,
                    "reconnects": 2,
                }
                procs.append(client_process("bench.soak_client", params))
            for p in procs:
                print(p.stdout.readline().strip(), flush=True)  # connected
            thread = threading.Thread(
                target=sampler, args=(server.proc.pid, stop, samples), daemon=True
            )
            thread.start()
            per_process: list[list[dict[str, Any]]] = [[] for _ in procs]
            readers = []
            for i, p in enumerate(procs):

                def read(i: int = i, p: subprocess.Popen[str] = p) -> None:
                    for line in p.stdout:
                        per_process[i].append(json.loads(line))
                        if i == 0:
                            print(line.strip(), samples[-1] if samples else "", flush=True)

                t = threading.Thread(target=read, daemon=True)
                t.start()
                readers.append(t)
            for p in procs:
                p.wait(args.minutes * 60 + 120)
            for t in readers:
                t.join(10)
        finally:
            stop.set()
            for p in procs:
                if p.poll() is None:
                    p.kill()
            server.stop()
    minutes = []
    for rows in zip(*per_process, strict=False):
        minutes.append(
            {
                "minute": rows[0]["minute"],
                "ack_p99_ms": max(r["ack_p99_ms"] or 0 for r in rows),
                "delivery_p99_ms": max(r["delivery_p99_ms"] or 0 for r in rows),
                "ack_p50_ms": mean_of(list(rows), "ack_p50_ms"),
                "sent": sum(r["sent"] for r in rows),
                "acked": sum(r["acked"] for r in rows),
                "delivered": sum(r["delivered"] for r in rows),
                "errors": sum(r["errors"] for r in rows),
                "reconnects": sum(r["reconnects"] for r in rows),
            }
        )
    warm = [s for s in samples if s["t_min"] >= args.warmup]
    after = [m for m in minutes if m["minute"] > args.warmup]
    first, last = after[:10], after[-10:]
    summary = {
        "minutes": args.minutes,
        "rss_mb_at_warmup": warm[0]["rss_mb"] if warm else None,
        "rss_mb_at_end": warm[-1]["rss_mb"] if warm else None,
        "rss_growth_pct": round(100 * (warm[-1]["rss_mb"] / warm[0]["rss_mb"] - 1), 1)
        if warm
        else None,
        "fds_at_warmup": warm[0]["fds"] if warm else None,
        "fds_at_end": warm[-1]["fds"] if warm else None,
        "fds_max": max((s["fds"] for s in warm), default=None),
        "ack_p99_first10_ms": mean_of(first, "ack_p99_ms"),
        "ack_p99_last10_ms": mean_of(last, "ack_p99_ms"),
        "delivery_p99_first10_ms": mean_of(first, "delivery_p99_ms"),
        "delivery_p99_last10_ms": mean_of(last, "delivery_p99_ms"),
        "sent": sum(m["sent"] for m in minutes),
        "acked": sum(m["acked"] for m in minutes),
        "errors": sum(m["errors"] for m in minutes),
        "reconnects": sum(m["reconnects"] for m in minutes),
    }
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(exist_ok=True)
    if plot(samples, minutes, RESULTS / "soak.png"):
        print(f"plot: {RESULTS / 'soak.png'}")
    data = {"conditions": {**conditions(), **vars(args)}, "summary": summary}
    print(f"results: {save('soak', {**data, 'minutes': minutes, 'samples': samples})}")


if __name__ == "__main__":
    main()
