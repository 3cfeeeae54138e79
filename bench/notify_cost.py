"""What notifications cost the send path: the fan-out and ack benchmarks with notifications off,
and on with extra members who are offline, want everything (notify=all) and have a Web Push
subscription (plus a webhook), so that every message queues outbox entries that are delivered
during the run.

    .venv/bin/python -m bench.notify_cost [--duration 10] [--rates 100,200]

The push service and the webhook are local receivers in this process (threads); the load client
is bench.loadgen in its own process; the server is ``python main.py`` (SQLite, one process).
Writes bench/results/notify_cost.json."""

from __future__ import annotations

import argparse
import base64
import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import conditions, save, table
from bench.run import Target, ezchat, fanout_case, measured, users
from tests.e2e.processes import call
from tests.e2e.receivers import Receiver


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscribe(t: Target, token: str, endpoint: str) -> None:
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    body = {
        "endpoint": endpoint,
        "keys": {"p256dh": b64url(public), "auth": b64url(os.urandom(16))},
    }
    call(t.base, "POST", "/api/push/subscriptions", body, token=token)


def offline_listeners(t: Target, n: int, prefix: str, push: Receiver) -> list[tuple[str, str]]:
    """Users who never connect and have a push subscription each."""
    out = users(t, n, prefix)
    for uid, token in out:
        subscribe(t, token, push.url(f"/push/{uid}"))
    return out


def want_everything(t: Target, cid: str, listeners: list[tuple[str, str]]) -> None:
    for _, token in listeners:
        call(t.base, "PUT", f"/api/conversations/{cid}/settings", {"notify": "all"}, token=token)


def notified(t: Target, token: str) -> dict[str, int]:
    report = call(t.base, "GET", "/api/system", token=token)
    return dict(report["ezchat"]["notifications"])


def fanout(
    t: Target, rates: list[float], duration: float, on: bool, push: Receiver
) -> list[dict[str, Any]]:
    members = users(t, 100, "f")
    listeners = offline_listeners(t, 100, "fo", push) if on else []
    conv = call(
        t.base,
        "POST",
        "/api/conversations",
        {"type": "group", "name": "fanout", "member_ids": [u for u, _ in members[1:] + listeners]},
        token=members[0][1],
    )
    want_everything(t, conv["id"], listeners)
    rows = []
    for rate in rates:
        row = fanout_case(t, rate, duration, members, conv["id"])
        rows.append({k: v for k, v in row.items() if k != "per_second"})
    return rows


def ack(t: Target, rate: float, duration: float, on: bool, push: Receiver) -> dict[str, Any]:
    n = 20
    senders = users(t, n, "a")
    listeners = offline_listeners(t, n, "ao", push) if on else []
    cids = []
    for i, (_, token) in enumerate(senders):
        body: dict[str, Any] = {"type": "group", "name": f"a{i}"}
        if on:
            body["member_ids"] = [listeners[i][0]]
        cid = call(t.base, "POST", "/api/conversations", body, token=token)["id"]
        if on:
            want_everything(t, cid, [listeners[i]])
        cids.append(cid)
    params = {
        "target": "ezchat",
        "urls": [t.ws(tok) for _, tok in senders],
        "rate": rate,
        "duration": duration,
        "conversation_ids": cids,
    }
    result, cpu = measured(t, "ack", params, duration + 60)
    return {**result, "server_cpu": cpu, "rate": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rates", default="100,200")
    parser.add_argument("--ack-rate", type=float, default=200.0)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    push, hook = Receiver(default_status=201), Receiver()
    results: dict[str, Any] = {"conditions": conditions(), "cases": {}}
    try:
        for on in (False, True):
            env = {"NOTIFY_DELAY_S": "1", "NOTIFY_POLL_S": "0.2"}
            if on:
                env |= {"NOTIFY_WEBHOOK_URL": hook.url(), "NOTIFY_WEBHOOK_SECRET": "bench"}
            else:
                env |= {"WEB_PUSH": "false"}
            name = "on" if on else "off"
            pushed, hooked = len(push.all()), len(hook.all())
            with ezchat(**env) as t:
                rows = fanout(t, rates, args.duration, on, push)
                acked = ack(t, args.ack_rate, args.duration, on, push)
                admin = users(t, 1, "admin")[0][1]
                counts = notified(t, admin)
            results["cases"][name] = {
                "fanout": rows,
                "ack": acked,
                "notifications": counts,
                "push_requests": len(push.all()) - pushed,
                "webhook_requests": len(hook.all()) - hooked,
            }
            for row in rows:
                print(
                    f"  notifications {name}: fan-out {row['rate']:.0f} msg/s -> "
                    f"{row['deliveries_per_s']:.0f} deliveries/s p50 {row['p50_ms']} ms "
                    f"p99 {row['p99_ms']} ms cpu {row['server_cpu']}",
                    flush=True,
                )
            print(
                f"  notifications {name}: ack at {args.ack_rate:.0f}/s p50 {acked['p50_ms']} ms "
                f"p99 {acked['p99_ms']} ms cpu {acked['server_cpu']}; sent {counts}, "
                f"push requests {results['cases'][name]['push_requests']}, "
                f"webhook requests {results['cases'][name]['webhook_requests']}",
                flush=True,
            )
    finally:
        push.stop()
        hook.stop()
    flat = [
        {"case": f"{name} fan-out {r['rate']:.0f}/s", **r}
        for name, case in results["cases"].items()
        for r in case["fanout"]
    ] + [{"case": f"{name} ack", **case["ack"]} for name, case in results["cases"].items()]
    print(table(flat, ["case", "deliveries_per_s", "p50_ms", "p99_ms", "server_cpu"]))
    print(f"results: {save('notify_cost', results)}")


if __name__ == "__main__":
    main()
