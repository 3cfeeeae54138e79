"""The bare-Tornado baseline the benchmarks compare EZChat with: no auth, no storage, no
protocol. A WebSocket that broadcasts every text frame to every connection (and, for the ack
scenario, answers the sender), and a hello handler for the HTTP scenario.

    python -m bench.baseline --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import tornado.web
import tornado.websocket
from tornado.httpserver import HTTPServer


class Broadcast(tornado.websocket.WebSocketHandler):
    clients: set[Broadcast] = set()  # a benchmark stand-in: module state is fine here

    def open(self) -> None:
        self.set_nodelay(True)
        Broadcast.clients.add(self)

    def on_message(self, message: str | bytes) -> None:
        if isinstance(message, str) and message.startswith("ack:"):
            self.write_message('{"type":"ack"}')  # the ack scenario: answer the sender only
            return
        for c in list(Broadcast.clients):
            try:
                c.write_message(message)
            except tornado.websocket.WebSocketClosedError:
                Broadcast.clients.discard(c)

    def on_close(self) -> None:
        Broadcast.clients.discard(self)

    def check_origin(self, origin: str) -> bool:
        return True


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish('{"messages":[],"has_more":false}')


async def main(port: int) -> None:
    app = tornado.web.Application([(r"/ws", Broadcast), (r"/hello", Hello)])
    server = HTTPServer(app)
    server.listen(port, address="127.0.0.1")
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
