"""One process of bench.large_room's clients: many members of one room, each on its own
WebSocket, all connecting at once.

    python -m bench.room_client @params.json

Params: ``ws`` (the /ws URL), ``tokens``, ``conversation_id``, ``chatty`` (how many of them
also send ``typing`` and ``read`` while the room is busy). It prints one JSON line when every
client has its ``hello`` (or failed), then answers commands read from stdin, one a line:
``chat`` / ``quiet`` (chatty members start and stop), ``report PHASE`` (one JSON line: the
latencies of that phase's messages, as counts per millisecond, and the latest delivery of each
message), ``quit``. Latency is read at the client: the sender puts its ``perf_counter()`` in
the text (``t=...``), which is the machine's monotonic clock in every process."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import stamp_of

TEXT = aiohttp.WSMsgType.TEXT


class Member:
    def __init__(self, token: str) -> None:
        self.token = token
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.last_seq = 0


class Room:
    def __init__(self, p: dict[str, Any]) -> None:
        self.p = p
        self.members = [Member(t) for t in p["tokens"]]
        self.latencies: dict[str, Counter[int]] = {}
        self.last: dict[str, dict[str, float]] = {}  # phase -> message -> latest delivery
        self.frames = 0
        self.chatting = False

    async def connect(self, session: aiohttp.ClientSession, m: Member) -> float:
        m.ws = await session.ws_connect(
            self.p["ws"], headers={"Authorization": f"Bearer {m.token}"}, max_msg_size=0
        )
        while True:
            msg = await m.ws.receive(timeout=120)
            if msg.type != TEXT:
                raise RuntimeError(f"closed before hello: {msg}")
            if '"hello"' in msg.data[:20]:
                return time.perf_counter()

    async def read(self, m: Member) -> None:
        assert m.ws is not None
        async for msg in m.ws:
            if msg.type != TEXT:
                continue
            raw = msg.data
            self.frames += 1
            if not raw.startswith('{"type":"message.new"'):
                continue
            now = time.perf_counter()
            ts = stamp_of(raw)
            if ts is None:
                continue
            i = raw.find(" p=")
            j = raw.find(" ", i + 3)
            k = raw.find(" k=")
            phase, key = raw[i + 3 : j], raw[k + 3 : raw.find('"', k)]
            ms = int((now - ts) * 1000)
            self.latencies.setdefault(phase, Counter())[ms] += 1
            last = self.last.setdefault(phase, {})
            last[key] = max(last.get(key, 0.0), now - ts)
            s = raw.find('"seq":')
            if s > 0:
                m.last_seq = int(raw[s + 6 : raw.find(",", s)])

    async def chatter(self, m: Member, n: int) -> None:
        """Typing now and then, and a read receipt for what arrived, as a reader would."""
        assert m.ws is not None
        cid = self.p["conversation_id"]
        await asyncio.sleep(random.random() * 2)
        while True:
            if self.chatting:
                await m.ws.send_str(
                    json.dumps(
                        {"type": "typing", "payload": {"conversation_id": cid, "is_typing": True}}
                    )
                )
                if m.last_seq:
                    await m.ws.send_str(
                        json.dumps(
                            {
                                "type": "read",
                                "id": n,
                                "payload": {"conversation_id": cid, "seq": m.last_seq},
                            }
                        )
                    )
            await asyncio.sleep(2)

    def report(self, phase: str) -> dict[str, Any]:
        counts = self.latencies.pop(phase, Counter())
        return {
            "phase": phase,
            "latency_ms_counts": {str(k): v for k, v in counts.items()},
            "last_s": self.last.pop(phase, {}),
            "frames": self.frames,
        }


async def main(p: dict[str, Any]) -> None:
    room = Room(p)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(room.connect(session, m) for m in room.members), return_exceptions=True
        )
        done = [r for r in results if isinstance(r, float)]
        errors = [repr(r)[:160] for r in results if not isinstance(r, float)]
        print(
            json.dumps(
                {
                    "connected": len(done),
                    "errors": len(errors),
                    "first_errors": errors[:3],
                    "started": started,
                    "last_hello": max(done, default=started),
                    "hellos": sorted(done),
                }
            ),
            flush=True,
        )
        live = [m for m in room.members if m.ws is not None and not m.ws.closed]
        tasks = [asyncio.ensure_future(room.read(m)) for m in live]
        tasks += [
            asyncio.ensure_future(room.chatter(m, n))
            for n, m in enumerate(live[: p.get("chatty", 0)])
        ]
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().split():
            if line[0] == "chat":
                room.chatting = True
            elif line[0] == "quiet":
                room.chatting = False
            elif line[0] == "report":
                print(json.dumps(room.report(line[1])), flush=True)
            elif line[0] == "quit":
                break
        for t in tasks:
            t.cancel()
        await asyncio.gather(*(m.ws.close() for m in live if m.ws), return_exceptions=True)


if __name__ == "__main__":
    arg = sys.argv[1]
    params = json.loads(Path(arg[1:]).read_text() if arg.startswith("@") else arg)
    asyncio.run(main(params))
