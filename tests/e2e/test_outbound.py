"""The guarded client for URLs the server was given, over real sockets: private addresses are
refused (and only checked addresses are ever connected to), at most a few KiB of an answer is
read, and a target that never answers holds up nobody else."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest

from ezchat.adapters.outbound.client import (
    MAX_ANSWER_BYTES,
    GuardedResolver,
    OutboundHttp,
    OutboundRefused,
)
from ezchat.domain.addresses import refused

pytestmark = pytest.mark.gen_test(timeout=60)


class RawServer:
    """A TCP server on 127.0.0.1 that reads a request, then does what ``answer`` says with the
    connection; counts connections and the bytes it managed to write."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.connections = 0
        self.written = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/push"

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                self.answer(self, conn)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()


def hang(server: RawServer, conn: socket.socket) -> None:
    server._stop.wait(15)


def ok(server: RawServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")


def flood(head: bytes):
    def answer(server: RawServer, conn: socket.socket) -> None:
        conn.sendall(head)
        chunk = b"0" * 65536
        for _ in range(1500):  # up to ~98 MB
            conn.sendall(chunk)
            server.written += len(chunk)

    return answer


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for s in started:
        s.stop()


def serve(servers: list[RawServer], answer) -> RawServer:
    s = RawServer(answer)
    servers.append(s)
    return s


async def post(http: OutboundHttp, url: str, timeout_s: float = 5.0):
    return await http.post(url, body=b"{}", headers={}, timeout_s=timeout_s)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_a_private_address_is_refused_and_never_connected_to(servers, host):
    target = serve(servers, ok)
    http = OutboundHttp(allow_private=False)
    try:
        answer = await post(http, target.url(host))
    finally:
        http.close()
    assert answer.code is None and answer.refused, answer
    assert target.connections == 0


async def test_private_addresses_are_reached_when_allowed(servers):
    target = serve(servers, ok)
    http = OutboundHttp(allow_private=True)
    try:
        answer = await post(http, target.url())
    finally:
        http.close()
    assert answer.code == 201 and not answer.refused


class _Names:
    def __init__(self, answers):
        self.answers = answers

    async def resolve(self, host, port, family=socket.AF_UNSPEC):
        return [(socket.AF_INET, (a, port)) for a in self.answers]


async def test_the_connector_gets_only_the_addresses_that_passed():
    # One resolution, filtered: what is connected to is what was checked (no rebinding
    # between a check and the connection).
    resolver = GuardedResolver(policy=partial(refused, allow_private=False))
    resolver._inner = _Names(["127.0.0.1", "93.184.216.34", "10.0.0.7"])
    assert await resolver.resolve("push.example", 443) == [(socket.AF_INET, ("93.184.216.34", 443))]
    resolver._inner = _Names(["127.0.0.1", "169.254.169.254"])
    with pytest.raises(OutboundRefused):
        await resolver.resolve("rebind.example", 443)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 410 Gone\r\nContent-Length: 90000000\r\n\r\n",
        b"HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n4000000\r\n",
        b"HTTP/1.1 410 Gone\r\nConnection: close\r\n\r\n",
    ],
    ids=["length", "chunked", "until-close"],
)
async def test_a_huge_answer_is_cut_short_and_its_status_still_counts(servers, head):
    target = serve(servers, flood(head))
    http = OutboundHttp(allow_private=True)
    try:
        answer = await post(http, target.url())
    finally:
        http.close()
    assert answer.code == 410, answer
    # The client stopped reading: the rest stayed in the server's hands (kernel buffers take
    # a few MB at most, far from the 98 MB on offer).
    deadline = time.monotonic() + 5
    while target.written < 90 * 65536 and time.monotonic() < deadline:
        before = target.written
        await asyncio.sleep(0.2)
        if target.written == before:
            break
    assert target.written < 16 * 1024 * 1024, target.written
    assert MAX_ANSWER_BYTES <= 4096


async def test_targets_that_never_answer_hold_up_no_other_target(servers):
    slow, fast = serve(servers, hang), serve(servers, ok)
    http = OutboundHttp(allow_private=True)
    try:
        hung = [asyncio.ensure_future(post(http, slow.url(), timeout_s=4.0)) for _ in range(10)]
        await asyncio.sleep(0.2)  # they hold their connections (or wait for the target)
        started = time.monotonic()
        answer = await post(http, fast.url(), timeout_s=4.0)
        took = time.monotonic() - started
        results = await asyncio.gather(*hung)
        all_done = time.monotonic() - started
    finally:
        http.close()
    assert answer.code == 201
    assert took < 2.0, took  # before: queued behind the hung requests for their 4 s timeout
    assert all(r.code is None and not r.refused for r in results)
    # Waiting for the hung target counts against each request's own time.
    assert all_done < 4.0 + 2.0, all_done
    assert http.targets_waited_on == 0
