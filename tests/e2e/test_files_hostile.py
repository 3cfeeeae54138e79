"""Files against hostile and unlucky input: images that lie or would blow up when decoded, a
body cut short or without an end, a member who leaves, and many uploads at once."""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import time
import zlib

import pytest
from PIL import Image

from tests.e2e.test_files import fetch, png, upload


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and header declaring ``width`` x ``height``, with a tiny body:
    a decompression bomb as far as a naive decoder goes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.gen_test(timeout=60)
async def test_images_that_would_blow_up_or_cannot_be_read_are_refused(api):
    _, token = await api.register()
    bomb = await upload(api, token, png_claiming(100_000, 100_000), "bomb.png", "image/png")
    assert bomb.status == 400 and "pixels" in bomb.body["error"]["message"]
    truncated = png()[:40]
    cut = await upload(api, token, truncated, "cut.png", "image/png")
    assert cut.status == 400 and cut.body["error"]["field"] == "body"
    liar = await upload(api, token, b"\xff\xd8\xff\xe0" + b"not a jpeg" * 50, "x.jpg")
    assert liar.status == 400
    ok = await upload(api, token, png(), "fine.png")
    assert ok.status == 201  # the server is fine after all of that


def raw_request(port: int, head: bytes, body_parts: list[bytes], *, close_early: bool) -> bytes:
    """Send a request by hand; the answer is read while the body is still going out (a server
    that refuses early answers before the body ends, and then closes)."""
    import threading

    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = bytearray()

    def read() -> None:
        try:
            while chunk := s.recv(65536):
                got.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    try:
        s.sendall(head)
        if not close_early:
            reader.start()
        for part in body_parts:
            try:
                s.sendall(part)
            except OSError:
                break
            time.sleep(0.01)
        if close_early:
            return b""
        reader.join(10)
        return bytes(got)
    finally:
        s.close()


@pytest.mark.gen_test(timeout=60)
async def test_a_body_without_a_length_is_cut_off_past_the_limit(start_server, tmp_path):
    running = await start_server(max_upload_bytes=100_000)
    from tests.e2e.conftest import Api

    api = Api(running.base)
    _, token = await api.register()
    port = int(running.base.rsplit(":", 1)[1])
    head = (
        f"POST /api/files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    piece = b"z" * 16384
    parts = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n"] * 10 + [b"0\r\n\r\n"]
    answer = await asyncio.get_running_loop().run_in_executor(
        None, lambda: raw_request(port, head, parts, close_early=False)
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer
    spool = tmp_path / "files" / ".incoming"
    assert list(spool.iterdir()) == []
    api.http.close()


@pytest.mark.gen_test(timeout=60)
async def test_an_upload_cut_short_leaves_nothing(running, api, tmp_path):
    me, token = await api.register()
    port = int(running.base.rsplit(":", 1)[1])
    head = (
        f"POST /api/files?name=half.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: raw_request(port, head, [b"h" * 40_000], close_early=True)
    )
    spool = tmp_path / "files" / ".incoming"
    for _ in range(100):
        if not list(spool.iterdir()):
            break
        await asyncio.sleep(0.05)
    assert list(spool.iterdir()) == []
    after = await upload(api, token, b"after")
    assert after.status == 201
    assert await running.app.services.stores.files.used_bytes(me["id"]) == 5  # nothing else


@pytest.mark.gen_test(timeout=60)
async def test_a_removed_member_loses_the_files_of_the_group(api):
    alice, ta = await api.register()
    bob, tb = await api.register()
    g = await api.call(
        "POST",
        "/api/conversations",
        {"type": "group", "name": "g", "member_ids": [bob["id"]]},
        token=ta,
    )
    cid = g.body["id"]
    f = (await upload(api, ta, b"group secret")).body
    body = {"client_id": "g1", "text": "", "attachments": [{"file_id": f["id"]}]}
    assert (
        await api.call("POST", f"/api/conversations/{cid}/messages", body, token=ta)
    ).status == 201
    page = await api.call("GET", f"/api/conversations/{cid}/messages", token=tb)
    link = page.body["messages"][-1]["attachments"][0]["url"]
    assert (await fetch(api, link)).code == 200
    gone = await api.call("DELETE", f"/api/conversations/{cid}/members/{bob['id']}", token=ta)
    assert gone.status == 204
    assert (await fetch(api, link)).code == 404  # the link he kept opens nothing
    assert (await fetch(api, f"/api/files/{f['id']}", tb)).code == 404


@pytest.mark.gen_test(timeout=60)
async def test_many_uploads_and_downloads_at_once(api):
    _, token = await api.register()
    blobs = [bytes([i]) * (50_000 + i) for i in range(12)]
    made = await asyncio.gather(*(upload(api, token, b, f"{i}.bin") for i, b in enumerate(blobs)))
    assert all(m.status == 201 for m in made)
    got = await asyncio.gather(*(fetch(api, f"/api/files/{m.body['id']}", token) for m in made))
    assert [g.body for g in got] == blobs
    im = Image.open(io.BytesIO(png((800, 10))))
    assert im.size == (800, 10)


@pytest.mark.gen_test(timeout=60)
async def test_an_upload_larger_than_a_json_body_goes_through_and_back_whole(api):
    _, token = await api.register()
    data = bytes(range(256)) * (12 * 1024)  # 3 MiB: past MAX_BODY_BYTES, within the upload limit
    up = await upload(api, token, data, "three.bin")
    assert up.status == 201 and up.body["size"] == len(data)
    down = await fetch(api, f"/api/files/{up.body['id']}", token)
    assert down.body == data
    import hashlib

    assert up.body["sha256"] == hashlib.sha256(data).hexdigest()
