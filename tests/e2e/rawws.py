"""A bare WebSocket client on a blocking socket, for what a library client will not do: never
answer a ping, or stop reading. Run it on a thread: the server shares the test's event loop."""

from __future__ import annotations

import base64
import os
import socket
import struct


def handshake(port: int, token: str, *, receive_buffer: int | None = None) -> socket.socket:
    """An upgraded connection to /ws; nothing after the 101 has been read."""
    sock = socket.socket()
    if receive_buffer is not None:  # before connect, so the window starts small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0]
    return sock


def _exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One server frame (servers do not mask): its opcode and payload."""
    b1, b2 = _exact(sock, 2)
    length = b2 & 0x7F
    if length == 126:
        (length,) = struct.unpack(">H", _exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack(">Q", _exact(sock, 8))
    return b1 & 0x0F, _exact(sock, length)


def send_frame(sock: socket.socket, opcode: int, payload: bytes = b"") -> None:
    """One client frame, masked as clients must (payloads under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)


def frames_until_close(sock: socket.socket) -> tuple[list[int], int | None]:
    """Read server frames, answering nothing: the opcodes seen and the close code, or None when
    the connection ended (or went silent) without a close frame."""
    opcodes: list[int] = []
    try:
        while True:
            opcode, data = read_frame(sock)
            opcodes.append(opcode)
            if opcode == 0x8:
                return opcodes, struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None
    except (ConnectionError, TimeoutError):
        return opcodes, None
