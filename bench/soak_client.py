"""One process of bench.soak's clients: members of groups, each on its own WebSocket, under a
steady mixed load until told to stop.

    python -m bench.soak_client @params.json

Params: ``ws`` (the /ws URL), ``members`` ([token, [conversation ids]] each), ``rate``
(messages/s from this process), ``duration`` (s). Each second the process sends ``rate``
messages from random members, and with them edits, reactions, read receipts and typing, and
closes and reopens a few connections (which then ``sync``). Every 60 s it prints one JSON line:
the minute's send-to-ack and send-to-delivery latencies (p50, p99), counts and errors."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import stamp_of

TEXT = aiohttp.WSMsgType.TEXT
RUN = str(int(time.time()))


def q(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p * (len(s) - 1)))] * 1000, 2)


class Member:
    def __init__(self, token: str, conversations: list[str]) -> None:
        self.token, self.conversations = token, conversations
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.pending: dict[int, tuple[float, str]] = {}  # frame id -> sent at, type
        self.mine: list[tuple[str, str]] = []  # (conversation, message id) of own messages
        self.seq: dict[str, int] = {}
        self.rev: dict[str, int] = {}


class Soak:
    def __init__(self, p: dict[str, Any], session: aiohttp.ClientSession) -> None:
        self.p, self.session = p, session
        self.members = [Member(t, c) for t, c in p["members"]]
        self.n = 0
        self.acks: list[float] = []
        self.deliveries: list[float] = []
        self.counts = {"sent": 0, "acked": 0, "errors": 0, "reconnects": 0, "delivered": 0}

    async def connect(self, m: Member) -> None:
        m.ws = await self.session.ws_connect(
            self.p["ws"], headers={"Authorization": f"Bearer {m.token}"}, max_msg_size=0
        )
        while True:
            msg = await m.ws.receive(timeout=60)
            if msg.type == TEXT and '"hello"' in msg.data[:20]:
                break
        m.reader = asyncio.ensure_future(self.read(m))
        if m.rev:
            await self.frame(m, "sync", {"conversations": dict(m.rev)})

    async def read(self, m: Member) -> None:
        assert m.ws is not None
        async for msg in m.ws:
            if msg.type != TEXT:
                continue
            raw = msg.data
            now = time.perf_counter()
            if raw.startswith('{"type":"message.new"'):
                ts = stamp_of(raw)
                if ts is not None:
                    self.deliveries.append(now - ts)
                    self.counts["delivered"] += 1
                data = json.loads(raw)["payload"]["message"]
                m.seq[data["conversation_id"]] = data["seq"]
                m.rev[data["conversation_id"]] = max(
                    m.rev.get(data["conversation_id"], 0), data["rev"]
                )
            elif raw.startswith('{"type":"ack"') or raw.startswith('{"type":"error"'):
                data = json.loads(raw)
                sent = m.pending.pop(data.get("id"), None)
                if data["type"] == "error":
                    self.counts["errors"] += 1
                elif sent is not None and sent[1] == "message.send":
                    self.acks.append(now - sent[0])
                    self.counts["acked"] += 1
                    message = data["payload"]["message"]
                    if len(m.mine) < 20:
                        m.mine.append((message["conversation_id"], message["id"]))

    async def frame(self, m: Member, kind: str, payload: dict[str, Any]) -> None:
        if m.ws is None or m.ws.closed:
            return
        self.n += 1
        m.pending[self.n] = (time.perf_counter(), kind)
        try:
            await m.ws.send_str(json.dumps({"type": kind, "id": self.n, "payload": payload}))
        except (ConnectionError, RuntimeError):
            m.pending.pop(self.n, None)

    async def one_second(self) -> None:
        rate = self.p["rate"]
        for _ in range(int(rate)):
            m = random.choice(self.members)
            cid = random.choice(m.conversations)
            text = f"t={time.perf_counter():.6f} soak {self.n}"
            await self.frame(
                m,
                "message.send",
                {"conversation_id": cid, "client_id": f"{RUN}-{self.n}", "text": text},
            )
            self.counts["sent"] += 1
            other = random.choice(self.members)
            kind = random.random()
            if other.mine and kind < 0.2:
                c, mid = random.choice(other.mine)
                await self.frame(
                    other,
                    "message.edit",
                    {"conversation_id": c, "message_id": mid, "text": "edited"},
                )
            elif other.mine and kind < 0.4:
                c, mid = random.choice(other.mine)
                await self.frame(
                    other,
                    "reaction.add",
                    {"conversation_id": c, "message_id": mid, "emoji": random.choice("👍🎉😀")},
                )
            c = random.choice(other.conversations)
            if other.seq.get(c):
                await self.frame(other, "read", {"conversation_id": c, "seq": other.seq[c]})
            await self.frame(other, "typing", {"conversation_id": c, "is_typing": True})
        for m in random.sample(self.members, self.p.get("reconnects", 2)):
            if m.ws is not None:
                await m.ws.close()
            if m.reader is not None:
                m.reader.cancel()
            m.pending.clear()
            try:
                await self.connect(m)
                self.counts["reconnects"] += 1
            except Exception:
                self.counts["errors"] += 1

    def minute(self, index: int) -> dict[str, Any]:
        out = {
            "minute": index,
            "ack_p50_ms": q(self.acks, 0.5),
            "ack_p99_ms": q(self.acks, 0.99),
            "delivery_p50_ms": q(self.deliveries, 0.5),
            "delivery_p99_ms": q(self.deliveries, 0.99),
            **self.counts,
        }
        self.acks, self.deliveries = [], []
        self.counts = dict.fromkeys(self.counts, 0)
        return out


async def main(p: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        soak = Soak(p, session)
        await asyncio.gather(*(soak.connect(m) for m in soak.members))
        print(json.dumps({"connected": len(soak.members)}), flush=True)
        loop = asyncio.get_running_loop()
        start = loop.time()
        second = 0
        while loop.time() - start < p["duration"]:
            await soak.one_second()
            second += 1
            if second % 60 == 0:
                print(json.dumps(soak.minute(second // 60)), flush=True)
            await asyncio.sleep(max(0.0, start + second - loop.time()))
        for m in soak.members:
            if m.ws is not None:
                await m.ws.close()


if __name__ == "__main__":
    arg = sys.argv[1]
    params = json.loads(Path(arg[1:]).read_text() if arg.startswith("@") else arg)
    asyncio.run(main(params))
