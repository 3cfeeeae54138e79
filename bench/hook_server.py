"""A local receiver for the app-hook benchmark: answers every POST after ``--delay-ms`` with
``{"action": "allow"}`` (a before-send hook's verdict; a webhook receiver ignores the body).

    .venv/bin/python -m bench.hook_server --port 9000 [--delay-ms 1]
"""

from __future__ import annotations

import argparse
import asyncio

import tornado.web


class Hook(tornado.web.RequestHandler):
    delay_s = 0.001

    async def post(self) -> None:
        await asyncio.sleep(self.delay_s)
        self.set_header("Content-Type", "application/json")
        self.finish(b'{"action":"allow"}')

    def log_exception(self, *args: object) -> None:
        return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=1.0)
    args = parser.parse_args()
    Hook.delay_s = args.delay_ms / 1000
    app = tornado.web.Application([(r"/.*", Hook)], log_function=lambda h: None)
    app.listen(args.port, address="127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
