"""Free 127.0.0.1 ports for the servers the tests start."""

from __future__ import annotations

import random
import socket

# Below the kernel's ephemeral range (32768-60999 here): a port the kernel handed out with
# bind(0) can be taken again, between our check and the server's bind, as the local port of
# any outgoing connection (a driver's pool opening one more socket, say). A port below that
# range is only ever taken by someone binding it on purpose.
_LOW, _HIGH = 20000, 32000


def free_port() -> int:
    """A port nothing listens on now, outside the range outgoing connections draw from."""
    for _ in range(200):
        port = random.randrange(_LOW, _HIGH)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_LOW}-{_HIGH}")


def wait_listening(proc, port: int, what: str, deadline_s: float = 30) -> bool:
    """Whether ``proc`` listens on ``port`` within the deadline; RuntimeError when it exited."""
    import time

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
