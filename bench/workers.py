"""Fan-out with one server process against two (WORKERS=2 with Redis): deliveries per second
and server CPU per delivery, the same load on both.

    .venv/bin/python -m bench.workers [--rates 100,200,300] [--duration 8]

The 100 receivers connect through the one port, so with two workers the kernel spreads them
over both; every message then crosses Redis to reach the other worker's receivers."""

from __future__ import annotations

import argparse
import time
import uuid

from bench.common import conditions, save, table
from bench.run import ezchat, fanout_case, fanout_room


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,200,300")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    before = conditions()
    rows = []
    for workers in (1, 2):
        env = {"WORKERS": str(workers)}
        if workers > 1:
            env |= {"REDIS_URL": args.redis, "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:8]}"}
        with ezchat(**env) as t:
            members, cid = fanout_room(t)
            for rate in (float(r) for r in args.rates.split(",")):
                row = fanout_case(t, rate, args.duration, members, cid)
                per = (
                    row["server_cpu"] / row["deliveries_per_s"] * 1e6
                    if row["deliveries_per_s"]
                    else None
                )
                rows.append(
                    {
                        "processes": workers,
                        "rate": rate,
                        "deliveries_per_s": row["deliveries_per_s"],
                        "p50_ms": row["p50_ms"],
                        "p99_ms": row["p99_ms"],
                        "server_cpu": row["server_cpu"],
                        "cpu_us_per_delivery": round(per, 1) if per else None,
                        "delivered_share": round(row["delivered"] / max(row["expected"], 1), 3),
                    }
                )
                print(f"  {workers} process(es) at {rate:.0f} msg/s: {rows[-1]}", flush=True)
    print(table(rows, list(rows[0])))
    path = save(
        "scaleout",
        {"conditions": {**before, **vars(args), "finished": time.time()}, "results": rows},
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
