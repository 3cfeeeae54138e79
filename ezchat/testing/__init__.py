"""A real EZChat for other people's tests.

    async with ezchat.testing.serve() as server:      # the real app, in this event loop
        user, token = await server.make_user("alice")
        ...  # talk to server.url / server.ws_url with any HTTP or WebSocket client
        server.clock.advance(3600)                    # now() an hour later, for expiry

The app is the one ``python -m ezchat serve`` runs, on the memory adapters (nothing is written
anywhere but a temporary directory that goes with the server), bound to a free port on
127.0.0.1. Settings are those of ``Config`` (``serve(registration="invite")``); a test server
differs from the defaults only in what makes tests fast and local: memory stores and files, a
cheap password hash (never use it for real accounts), no limit on registrations from one
address. ``serve_in_thread()`` runs the same server on a thread of its own, for synchronous
tests and for tests whose event loop is not this one (the pytest plugin's ``ezchat_server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tornado.netutil import bind_sockets

from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.config import Config
from ezchat.entry import serialize
from ezchat.entry.app import EzChatApp, make_app
from ezchat.entry.main import make_server
from ezchat.ports.clock import Timer

__all__ = ["TestClock", "TestServer", "serve", "serve_in_thread"]

TEST_HASH_N = 16  # scrypt's cost: trivial, for test accounts only


class TestClock:
    """The server's clock: real time, moved on by ``advance`` (``now()`` and ``monotonic()``
    jump ahead; timers already set keep their real delays). Safe to call from any thread."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(max(0.0, delay_s), callback)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds


@dataclass
class TestServer:
    """A running test server: ``url`` (http://127.0.0.1:PORT), ``ws_url`` (its /ws),
    ``clock``, and ``app`` (the application itself: its services and stores)."""

    __test__ = False

    url: str
    ws_url: str
    clock: TestClock
    app: EzChatApp
    _users: int = field(default=0, repr=False)

    async def make_user(
        self, name: str, password: str = "password-123", display_name: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """A new account, made directly (no HTTP, no registration mode applies): the User as
        ``GET /api/users/me`` shows it, and a token for it."""
        user, token = await self.app.services.auth.register(name, password, display_name)
        return serialize.me(user), token


def test_config(data_dir: str, **settings: Any) -> Config:
    values: dict[str, Any] = {
        "storage": "memory",
        "file_storage": "memory",
        "data_dir": data_dir,
        "host": "127.0.0.1",
        "secret_key": "ezchat-test-server",
        "password_hash_n": TEST_HASH_N,
        "register_max_per_address": 1_000_000,
        "log_level": "WARNING",
    }
    values.update(settings)
    return Config(**values)


@contextlib.asynccontextmanager
async def serve(**settings: Any) -> AsyncIterator[TestServer]:
    """The real app on the memory adapters, on a free port of 127.0.0.1, in the running event
    loop; stopped (connections closed, tasks ended) when the block ends, even on an error."""
    with tempfile.TemporaryDirectory(prefix="ezchat-test-") as data_dir:
        config = test_config(data_dir, **settings)
        clock = TestClock()
        app = make_app(config, clock=clock, hasher=ScryptPasswordHasher(n=config.password_hash_n))
        await app.start()
        try:
            sock = bind_sockets(0, "127.0.0.1")[0]
            port = sock.getsockname()[1]
            http = make_server(config, app.http)
            http.add_sockets([sock])
            try:
                base = f"http://127.0.0.1:{port}"
                yield TestServer(base, f"ws://127.0.0.1:{port}/ws", clock, app)
            finally:
                http.stop()
                await http.close_all_connections()
        finally:
            await app.aclose()


@contextlib.contextmanager
def serve_in_thread(**settings: Any) -> Iterator[ThreadedServer]:
    """``serve`` on a thread and an event loop of its own: for synchronous tests, and for
    tests on an event loop that is not the server's. ``make_user`` then is synchronous."""
    threaded = ThreadedServer(settings)
    threaded.start()
    try:
        yield threaded
    finally:
        threaded.stop()


class ThreadedServer:
    """A test server on its own thread. ``url``, ``ws_url``, ``clock``, ``app`` as on
    ``TestServer``; ``make_user(name)`` returns (user, token) from any thread."""

    __test__ = False

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._server: TestServer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ezchat-test-server", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        if self._server is None:
            raise RuntimeError("the EZChat test server did not start within 30 s")

    @property
    def server(self) -> TestServer:
        assert self._server is not None
        return self._server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    @property
    def clock(self) -> TestClock:
        return self.server.clock

    @property
    def app(self) -> EzChatApp:
        return self.server.app

    def make_user(
        self, name: str, password: str = "password-123", display_name: str | None = None
    ) -> tuple[dict[str, Any], str]:
        future = asyncio.run_coroutine_threadsafe(
            self.server.make_user(name, password, display_name), self._loop
        )
        return future.result(30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with serve(**self._settings) as server:
                self._server = server
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that started it
            self._error = exc
            self._ready.set()

    def stop(self) -> None:
        stop = self._stop
        if stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(30)
