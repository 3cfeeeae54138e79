"""Start the server: ``python main.py`` (development) or ``DEBUG=False python main.py``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from tornado.httpserver import HTTPServer
from tornado.web import Application

from ezchat.config import Config, ConfigError, load_config
from ezchat.domain.errors import StorageUnavailable
from ezchat.entry.app import make_app

log = logging.getLogger("ezchat")


def make_server(config: Config, application: Application) -> HTTPServer:
    return HTTPServer(
        application,
        xheaders=config.xheaders,
        idle_connection_timeout=config.idle_connection_timeout_s,
        body_timeout=config.body_timeout_s,
        # Bodies past max_body_bytes get the contract's 413 from the handler. A chunked body
        # (no Content-Length) is read up to twice the limit before that answer; past this cap
        # Tornado cuts the connection with a bare 400.
        max_body_size=2 * config.max_body_bytes + 65536,
    )


async def serve(config: Config) -> None:
    app = make_app(config)
    try:
        await app.start()
    except StorageUnavailable as exc:
        await app.close()
        raise SystemExit(
            f"ezchat: cannot open the {config.storage} storage: {exc.message}"
        ) from None
    server = make_server(config, app.application)
    server.listen(config.port, address=config.bind_host)
    log.info(
        "EZChat listening on http://%s:%d (debug=%s, storage=%s)",
        config.bind_host,
        config.port,
        config.debug,
        config.storage,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    server.stop()
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=5)
    except TimeoutError:
        log.warning("connections still open after 5 s; closing anyway")
    await app.close()


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"ezchat: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if config.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print(
                "ezchat: configuration error: EVENT_LOOP=uvloop but uvloop is not installed "
                "(pip install '.[perf]')",
                file=sys.stderr,
            )
            return 2
        uvloop.run(serve(config))
    else:
        asyncio.run(serve(config))
    return 0
