"""The upload handler's reach into Tornado (docs/benchmarks.md, library internals): an upload's
connection reads 512 KiB at a time through a copy of its parameters, and is put back after."""

from __future__ import annotations

import socket

import pytest
from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.iostream import IOStream

from ezchat.entry.handlers.files import UPLOAD_CHUNK, read_in_large_chunks


@pytest.mark.gen_test
async def test_an_upload_connection_reads_in_large_chunks_and_is_put_back():
    a, b = socket.socketpair()
    shared = HTTP1ConnectionParameters()
    stream = IOStream(a)
    conn = HTTP1Connection(stream, False, shared)
    try:
        assert conn.params is shared and shared.chunk_size == 65536  # Tornado's names, by name
        assert stream.read_chunk_size == 65536
        restore = read_in_large_chunks(conn)
        assert restore is not None
        assert conn.params is not shared and conn.params.chunk_size == UPLOAD_CHUNK
        assert shared.chunk_size == 65536, "the server's parameters are shared: never changed"
        assert stream.read_chunk_size == UPLOAD_CHUNK
        restore()
        assert conn.params is shared and stream.read_chunk_size == 65536
    finally:
        stream.close()
        b.close()


def test_anything_else_is_left_alone():
    assert read_in_large_chunks(object()) is None
