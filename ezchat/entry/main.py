"""Start the server: ``python main.py`` (development) or ``DEBUG=False python main.py``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import logging
import os
import signal
import socket
import sys

from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerConnectionDelegate
from tornado.netutil import bind_sockets

from ezchat.config import Config, ConfigError, load_config, secret_key
from ezchat.domain.errors import StorageUnavailable
from ezchat.entry import logs
from ezchat.entry.app import make_app

log = logging.getLogger("ezchat")


def make_server(config: Config, delegate: HTTPServerConnectionDelegate) -> HTTPServer:
    """``delegate``: the app's ``http`` (the application behind its fast lane)."""
    return HTTPServer(
        delegate,
        xheaders=config.xheaders,
        idle_connection_timeout=config.idle_connection_timeout_s,
        body_timeout=config.body_timeout_s,
        # Bodies past max_body_bytes get the contract's 413 from the handler. A chunked body
        # (no Content-Length) is read up to twice the limit before that answer; past this cap
        # Tornado cuts the connection with a bare 400.
        max_body_size=2 * config.max_body_bytes + 65536,
    )


# The youngest generation is collected every this many allocations (CPython's default: 700).
GC_GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Fewer, cheaper collections for a long-running server: what start-up made (modules,
    compiled patterns, the app) is frozen out of every later collection, and the youngest
    generation waits for 50,000 allocations instead of 700. A reconnect storm of 5,000 clients
    spent about a fifth of its time collecting (bench.storm: 10.0-11.5 s with CPython's
    defaults, 8.0 s with no collection at all, 8.8-9.3 s with this). Cycles still go; between
    collections at most that many young objects wait (a few MB)."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, second, third)


class StartFailure(Exception):
    """The server cannot start: one line for the operator, naming the cause and the setting."""


def storage_setting(config: Config) -> str:
    if config.storage == "sqlite":
        return f"SQLITE_PATH/DATA_DIR ({config.database_path})"
    return "MONGODB_URL" if config.storage == "mongo" else "STORAGE"


def listening_sockets(config: Config) -> list[socket.socket]:
    try:
        return bind_sockets(config.port, address=config.bind_host, backlog=config.listen_backlog)
    except OSError as exc:
        raise StartFailure(
            f"cannot listen on {config.bind_host}:{config.port} (HOST, PORT): {exc.strerror}"
        ) from None


async def serve(config: Config, sockets: list[socket.socket] | None = None) -> None:
    if sockets is None:
        sockets = listening_sockets(config)  # before anything opens: a busy port fails fast
    app = make_app(config)
    try:
        await app.start()  # a failed start stops whatever it had started
    except StorageUnavailable as exc:
        raise StartFailure(
            f"cannot open the {config.storage} storage ({storage_setting(config)}): {exc.message}"
        ) from None
    tune_gc()
    server = make_server(config, app.http)
    server.add_sockets(sockets)
    log.info(
        "EZChat listening on http://%s:%d (debug=%s, storage=%s, loop=%s, broker=%s)",
        config.bind_host,
        config.port,
        config.debug,
        config.storage,
        type(asyncio.get_running_loop()).__module__.split(".")[0],
        "redis" if config.redis_url else "none",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    server.stop()  # no new connections
    await app.aclose()  # WebSocket clients get 1001, queued messages and pointers are written
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=5)
    except TimeoutError:
        log.warning("connections still open after 5 s; closing anyway")


def event_loop(config: Config) -> str:
    """The loop EVENT_LOOP asks for: ``auto`` is uvloop when it is installed."""
    if config.event_loop == "auto":
        return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return config.event_loop


def run(config: Config, sockets: list[socket.socket] | None = None) -> None:
    if event_loop(config) == "uvloop":
        import uvloop

        uvloop.run(serve(config, sockets))
    else:
        asyncio.run(serve(config, sockets))


async def prepare_sqlite(config: Config) -> None:
    """Create (or upgrade) the database once, before any worker opens it."""
    from ezchat.adapters.sqlite import sqlite_stores

    stores = sqlite_stores(config.database_path, synchronous=config.sqlite_synchronous.upper())
    try:
        await stores.start()
    finally:
        await stores.aclose()


def run_workers(config: Config) -> int:
    """Pre-fork: bind the port once, fork WORKERS processes that all accept on it (each with
    its own event loop, connections and caches; the store and Redis are shared), and supervise
    them: a worker that dies is replaced; SIGTERM or SIGINT stops them all."""
    count = config.process_count
    if config.storage == "sqlite":
        try:
            asyncio.run(prepare_sqlite(config))  # the workers then find the schema made
        except StorageUnavailable as exc:
            raise StartFailure(
                f"cannot open the sqlite storage ({storage_setting(config)}): {exc.message}"
            ) from None
    sockets = listening_sockets(config)
    children: dict[int, int] = {}
    restarts = 0
    stopping = False

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                run(config, sockets)
            except BaseException:
                log.exception("worker %d failed", index)
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = index

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    for index in range(count):
        spawn(index)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("EZChat: %d workers on http://%s:%d", count, config.bind_host, config.port)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, -1)
        if index < 0 or stopping:
            continue
        restarts += 1
        if restarts > 10 * count:
            log.error("workers keep dying; giving up")
            stop(signal.SIGTERM, None)
            continue
        log.warning(
            "worker %d (pid %d) exited with status %d; starting another", index, pid, status
        )
        spawn(index)
    for sock in sockets:
        sock.close()
    return 0


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"ezchat: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(level=config.log_level, fmt=config.log_format)
    if config.event_loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        print(
            "ezchat: configuration error: EVENT_LOOP=uvloop but uvloop is not installed "
            "(pip install uvloop, or EVENT_LOOP=auto)",
            file=sys.stderr,
        )
        return 2
    try:
        if config.process_count > 1:
            secret_key(config)  # made once, here, before the workers read it
            return run_workers(config)
        run(config)
    except StartFailure as exc:
        print(f"ezchat: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:  # a secret that cannot be kept in DATA_DIR, say
        print(f"ezchat: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0
