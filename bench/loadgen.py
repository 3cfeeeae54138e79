"""The load client, run as its own process by bench.run. Prints one JSON line of results.

    python -m bench.loadgen SCENARIO '{json params}'

Scenarios: fanout, ack, idle, http, all on aiohttp (its C frame reader costs the client least
of the clients tried: websockets, aiohttp, a raw protocol). Senders are paced (a send every 1/rate s, catching up on
a schedule, never bursting past it); receivers read the timestamp the sender put in the text."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from typing import Any

import aiohttp

TEXT = aiohttp.WSMsgType.TEXT


async def connect(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(
        url, autoping=False, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=2)
    )


def ms_at(ordered: list[float], q: float) -> float | None:
    """The q-quantile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] * 1000, 2)


def stamp_of(raw: str) -> float | None:
    i = raw.find("t=")
    if i < 0:
        return None
    j = i + 2
    while j < len(raw) and (raw[j].isdigit() or raw[j] == "."):
        j += 1
    return float(raw[i + 2 : j])


RUN = uuid.uuid4().hex[:8]  # client ids must be new in every run, or sends are idempotent retries


def frame(kind: str, text: str, p: dict[str, Any], n: int) -> str:
    if p["target"] == "baseline":
        return ("ack:" if kind == "ack" else "") + json.dumps({"text": text})
    return json.dumps(
        {
            "type": "message.send",
            "id": n,
            "payload": {
                "conversation_id": p["conversation_id"],
                "client_id": f"{RUN}-{p['tag']}-{n}",
                "text": text,
            },
        }
    )


async def paced(rate: float, duration: float, send) -> int:
    """Call ``send(n)`` ``rate`` times a second for ``duration`` s, on a fixed schedule."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = 0
    while True:
        due = start + n / rate
        if due - start >= duration:
            return n
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(n)
        n += 1


async def fanout(p: dict[str, Any]) -> dict[str, Any]:
    """``receivers`` connections read; the first ``senders`` of them also send, together at
    ``rate`` messages/s. Deliveries are message frames read by receivers."""
    latencies: list[float] = []
    delivered = 0
    per_second: dict[int, int] = {}
    stop = asyncio.Event()
    t0 = time.perf_counter()
    urls = p["urls"]
    session = aiohttp.ClientSession()
    conns = [await connect(session, u) for u in urls]
    if p["target"] == "ezchat":
        for c in conns:
            await c.receive()  # hello

    async def read(c) -> None:
        nonlocal delivered
        kind = '"message.new"' if p["target"] == "ezchat" else '"text"'
        async for msg in c:
            if stop.is_set():
                return
            raw = msg.data if msg.type == TEXT else ""
            if kind in raw:
                ts = stamp_of(raw)
                now = time.perf_counter()
                if ts is not None:
                    latencies.append(now - ts)
                delivered += 1
                sec = int(now - t0)
                per_second[sec] = per_second.get(sec, 0) + 1

    readers = [asyncio.ensure_future(read(c)) for c in conns]
    # Connecting makes 100 users online at once, each told to the 99 others: let that settle.
    await asyncio.sleep(p.get("settle", 1.0))
    latencies.clear()
    delivered = 0
    per_second.clear()
    t0 = time.perf_counter()
    senders = conns[: p["senders"]]
    rate_each = p["rate"] / len(senders)
    sent = 0

    async def send_from(i: int, c) -> None:
        nonlocal sent

        async def one(n: int) -> None:
            nonlocal sent
            await c.send_str(
                frame("send", f"t={time.perf_counter():.6f} m{i}-{n}", {**p, "tag": f"s{i}"}, n)
            )
            sent += 1

        try:
            await paced(rate_each, p["duration"], one)
        except Exception:  # closed by the server (too slow, or overloaded): stop sending
            return

    started = time.perf_counter()
    sending = asyncio.gather(*(send_from(i, c) for i, c in enumerate(senders)))
    # An overloaded server stops reading: sends then block on TCP backpressure.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sending, p["duration"] + 5)
    await asyncio.sleep(p.get("drain", 1.0))
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*(asyncio.wait_for(c.close(), 2) for c in conns), return_exceptions=True)
    for r in readers:
        r.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await session.close()
    lat = sorted(latencies)
    return {
        "sent": sent,
        "delivered": delivered,
        "expected": sent * len(conns),
        "deliveries_per_s": round(delivered / elapsed, 1),
        "p50_ms": ms_at(lat, 0.5),
        "p99_ms": ms_at(lat, 0.99),
        "per_second": [per_second.get(s, 0) for s in range(int(elapsed) + 1)],
    }


async def ack(p: dict[str, Any]) -> dict[str, Any]:
    """``connections`` senders at ``rate`` messages/s in total; latency from send to ack."""
    latencies: list[float] = []
    session = aiohttp.ClientSession()
    conns = [await connect(session, u) for u in p["urls"]]
    if p["target"] == "ezchat":
        for c in conns:
            await c.receive()

    async def one_conn(i: int, c, conversation_id: str | None) -> int:
        pending: dict[int, float] = {}

        async def reader() -> None:
            async for msg in c:
                raw = msg.data if msg.type == TEXT else ""
                if '"ack"' in raw:
                    msg = json.loads(raw)
                    sent_at = (
                        pending.pop(msg.get("id", -1), None)
                        if p["target"] == "ezchat"
                        else (pending.pop(min(pending), None) if pending else None)
                    )
                    if sent_at is not None:
                        latencies.append(time.perf_counter() - sent_at)

        task = asyncio.ensure_future(reader())

        async def one(n: int) -> None:
            pending[n] = time.perf_counter()
            await c.send_str(
                frame(
                    "ack",
                    f"t={pending[n]:.6f}",
                    {**p, "conversation_id": conversation_id, "tag": f"a{i}"},
                    n,
                )
            )

        n = await paced(p["rate"] / len(conns), p["duration"], one)
        await asyncio.sleep(1.0)
        task.cancel()
        return n

    cids = p.get("conversation_ids") or [None] * len(conns)
    sent = sum(
        await asyncio.gather(
            *(one_conn(i, c, cid) for i, (c, cid) in enumerate(zip(conns, cids, strict=True)))
        )
    )
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    await session.close()
    lat = sorted(latencies)
    return {"sent": sent, "acked": len(lat), "p50_ms": ms_at(lat, 0.5), "p99_ms": ms_at(lat, 0.99)}


async def idle(p: dict[str, Any]) -> dict[str, Any]:
    """Open ``urls`` connections, report, hold them until stdin closes."""
    conns = []
    sem = asyncio.Semaphore(100)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def open_one(u: str) -> None:
        async with sem:
            c = await connect(session, u)
            if p["target"] == "ezchat":
                await c.receive()
            conns.append(c)

    started = time.perf_counter()
    await asyncio.gather(*(open_one(u) for u in p["urls"]))
    print(
        json.dumps({"opened": len(conns), "seconds": round(time.perf_counter() - started, 1)}),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await session.close()
    return {"closed": True}


async def http(p: dict[str, Any]) -> dict[str, Any]:
    """``concurrency`` keep-alive clients GET ``url`` as fast as answers come, ``duration`` s."""
    done = 0
    errors = 0
    stop_at = time.perf_counter() + p["duration"]
    headers = {"Authorization": f"Bearer {p['token']}"} if p.get("token") else {}
    connector = aiohttp.TCPConnector(limit=p["concurrency"])
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < stop_at:
                async with session.get(p["url"]) as resp:
                    await resp.read()
                    if resp.status == 200:
                        done += 1
                    else:
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(p["concurrency"])))
        elapsed = time.perf_counter() - started
    return {"requests": done, "errors": errors, "per_s": round(done / elapsed, 1)}


SCENARIOS = {"fanout": fanout, "ack": ack, "idle": idle, "http": http}

if __name__ == "__main__":
    # Parameters come as JSON, or as @FILE holding it (10,000 URLs do not fit on a command line).
    arg = sys.argv[2]
    params = json.loads(open(arg[1:]).read() if arg.startswith("@") else arg)  # noqa: SIM115
    scenario = sys.argv[1]
    print(json.dumps(asyncio.run(SCENARIOS[scenario](params))), flush=True)
