"""What one idle WebSocket connection holds in the server, by the line that allocated it.

    .venv/bin/python -m bench.conn_memory [--connections 1000] [--top 15]

Runs the real app in this process (SQLite in a temporary directory), opens ``--connections``
connections over loopback with a raw client (so the client side costs little), of distinct
users or of ``--users`` users in turn, and compares tracemalloc snapshots taken before and
after: Python allocations per connection, grouped by the line that made them. ``--baseline``
measures the bare-Tornado broadcast handler (bench.baseline) the same way. Not counted: the
kernel's socket buffers and memory the allocator keeps (what RSS shows on top).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import socket
import tempfile
import tracemalloc
from pathlib import Path

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bench.baseline import Broadcast
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.entry.app import make_app
from tests.support import FAST_HASH_N, test_config

UPGRADE = (
    "GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
)


async def open_raw(port: int, token: str, until: bytes = b'"hello"') -> socket.socket:
    loop = asyncio.get_running_loop()
    s = socket.socket()
    s.setblocking(False)
    await loop.sock_connect(s, ("127.0.0.1", port))
    await loop.sock_sendall(s, UPGRADE.format(token=token).encode())
    got = b""
    while until not in got:
        chunk = await loop.sock_recv(s, 65536)
        if not chunk:
            raise ConnectionError("closed before hello")
        got += chunk
    return s


async def measure_baseline(n: int, top: int) -> None:
    app = tornado.web.Application([(r"/ws", Broadcast)])
    sockets = bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    server = HTTPServer(app)
    server.add_sockets(sockets)
    for _ in range(5):
        (await open_raw(port, "", until=b"101")).close()
    await asyncio.sleep(0.5)
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    clients = [await open_raw(port, "", until=b"101") for _ in range(n)]
    await asyncio.sleep(0.5)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    report(f"bare Tornado, {n} connections open", after.compare_to(before, "lineno"), n, top)
    for c in clients:
        c.close()
    server.stop()


async def measure(n: int, users: int, top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ezchat-mem-") as tmp:
        app = make_app(
            test_config(
                Path(tmp),
                storage="sqlite",
                max_connections=n + 10,
                max_connections_per_user=n + 10,
            ),
            hasher=ScryptPasswordHasher(n=FAST_HASH_N),
        )
        await app.start()
        sockets = bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        server = HTTPServer(app.application)
        server.add_sockets(sockets)
        tokens = []
        for i in range(users):
            _, token = await app.services.auth.register(f"mem{i}", "password-mem")
            tokens.append(token)
        tokens = [tokens[i % users] for i in range(n)]
        for t in tokens[:5]:  # warm every path once
            (await open_raw(port, t)).close()
        await asyncio.sleep(0.5)
        gc.collect()
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        clients = [await open_raw(port, t) for t in tokens]
        await asyncio.sleep(0.5)
        gc.collect()
        after = tracemalloc.take_snapshot()
        report(f"{n} connections open", after.compare_to(before, "lineno"), n, top)
        for c in clients:
            c.close()
        for _ in range(100):
            if app.hub.connection_count == 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        gc.collect()
        closed = tracemalloc.take_snapshot()
        tracemalloc.stop()
        report("after they all closed", closed.compare_to(before, "lineno"), n, top)
        server.stop()
        await app.aclose()


def report(title: str, stats: list[tracemalloc.StatisticDiff], n: int, top: int) -> None:
    total = sum(s.size_diff for s in stats)
    print(f"{title}: {total / n:.0f} bytes of Python allocations per connection")
    for s in stats[:top]:
        frame = s.traceback[0]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        print(f"  {s.size_diff / n:8.0f} B  {s.count_diff / n:5.1f} blocks  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--users", type=int, default=0, help="0: one per connection")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--baseline", action="store_true", help="bare Tornado instead")
    args = parser.parse_args()
    if args.baseline:
        asyncio.run(measure_baseline(args.connections, args.top))
    else:
        asyncio.run(measure(args.connections, args.users or args.connections, args.top))


if __name__ == "__main__":
    main()
