"""Files over HTTP on the real server: upload (type sniffed, metadata gone), download by token
or signed link, ranges, headers that keep a file from running in our origin, who may open it,
attaching to messages, and the limits."""

from __future__ import annotations

import asyncio
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from tornado.httpclient import HTTPRequest

from tests.e2e.conftest import Reply
from tests.e2e.wsclient import Ws

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int = 1) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


async def upload(api, token: str, data: bytes, name: str = "f.bin", ctype: str = "x/y") -> Reply:
    return await api.call(
        "POST",
        f"/api/files?name={name}",
        raw=data,
        token=token,
        headers={"Content-Type": ctype},
    )


async def fetch(api, path: str, token: str | None = None, **headers: str):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await api.http.fetch(
        HTTPRequest(api.base + path, headers=headers, follow_redirects=False), raise_error=False
    )


@pytest.mark.gen_test(timeout=30)
async def test_an_upload_is_what_its_bytes_are_and_opens_by_token_or_signed_link(api):
    _, token = await api.register()
    r = await upload(api, token, b"<html><script>alert(1)</script>", "page.html", "image/png")
    assert r.status == 201, r.body
    f = r.body
    assert f["mime_type"] == "text/plain"  # what the bytes are, not what was claimed
    assert f["name"] == "page.html" and f["size"] == 31 and len(f["sha256"]) == 64
    assert "width" not in f and "thumbnail_url" not in f
    assert f["url"].startswith(f"/api/files/{f['id']}?exp=")

    by_token = await fetch(api, f"/api/files/{f['id']}", token)
    assert by_token.code == 200 and by_token.body == b"<html><script>alert(1)</script>"
    h = by_token.headers
    assert h["Content-Security-Policy"] == "sandbox"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Content-Disposition"].startswith("attachment;")
    assert h["Cache-Control"].startswith("private")
    assert h["ETag"] == f'"{f["sha256"]}"'

    by_link = await fetch(api, f["url"])  # no header: the link alone
    assert by_link.code == 200 and by_link.body == by_token.body
    again = await fetch(api, f["url"], **{"If-None-Match": h["ETag"]})
    assert again.code == 304


@pytest.mark.gen_test(timeout=30)
async def test_images_lose_their_metadata_are_turned_upright_and_get_a_thumbnail(api):
    _, token = await api.register()
    r = await upload(api, token, jpeg_with_gps((640, 480), orientation=6), "me.jpg", "image/jpeg")
    assert r.status == 201, r.body
    f = r.body
    assert f["mime_type"] == "image/jpeg"
    assert (f["width"], f["height"]) == (480, 640)  # orientation 6: turned a quarter
    stored = await fetch(api, f"/api/files/{f['id']}", token)
    assert stored.headers["Content-Disposition"].startswith("inline;")
    im = Image.open(io.BytesIO(stored.body))
    assert im.size == (480, 640)
    assert not im.getexif(), "no EXIF, no GPS, no camera left"
    assert b"SpyCam" not in stored.body
    thumb = await fetch(api, f["thumbnail_url"])
    assert thumb.code == 200
    t = Image.open(io.BytesIO(thumb.body))
    assert max(t.size) == 320 and t.size == (240, 320)

    p = await upload(api, token, png(), "dot.png", "application/octet-stream")
    assert p.body["mime_type"] == "image/png" and (p.body["width"], p.body["height"]) == (40, 30)
    pt = await fetch(api, p.body["thumbnail_url"])
    assert pt.body.startswith(PNG_MAGIC)  # transparency kept


@pytest.mark.gen_test(timeout=30)
async def test_ranges(api):
    _, token = await api.register()
    data = bytes(range(256)) * 40
    f = (await upload(api, token, data)).body
    path = f"/api/files/{f['id']}"
    part = await fetch(api, path, token, Range="bytes=10-19")
    assert part.code == 206 and part.body == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = await fetch(api, path, token, Range="bytes=-5")
    assert tail.code == 206 and tail.body == data[-5:]
    open_end = await fetch(api, path, token, Range=f"bytes={len(data) - 3}-")
    assert open_end.body == data[-3:]
    past = await fetch(api, path, token, Range=f"bytes={len(data)}-")
    assert past.code == 416 and past.headers["Content-Range"] == f"bytes */{len(data)}"
    assert json.loads(past.body)["error"]["code"] == "invalid_request"
    odd = await fetch(api, path, token, Range="bytes=5-1")
    assert odd.code == 200 and odd.body == data
    stale = await fetch(api, path, token, Range="bytes=0-0", **{"If-Range": '"other"'})
    assert stale.code == 200 and stale.body == data


@pytest.mark.gen_test(timeout=30)
async def test_only_the_uploader_and_members_where_a_message_carries_it_may_open_it(api, server):
    alice, ta = await api.register()
    bob, tb = await api.register()
    _, tc = await api.register()
    f = (await upload(api, ta, b"secret plans")).body
    path = f"/api/files/{f['id']}"
    assert (await fetch(api, path, tb)).code == 404  # not shared yet
    conv = await api.direct(ta, bob["id"])

    # Bob cannot attach Alice's file; Alice can.
    theirs = {"client_id": "x1", "text": "", "attachments": [{"file_id": f["id"]}]}
    r = await api.call("POST", f"/api/conversations/{conv}/messages", theirs, token=tb)
    assert r.status == 400 and r.body["error"]["field"] == "attachments[0].file_id"
    r = await api.call("POST", f"/api/conversations/{conv}/messages", theirs, token=ta)
    assert r.status == 201, r.body
    att = r.body["attachments"][0]
    assert att["file_id"] == f["id"] and att["name"] == "f.bin" and att["size"] == 12
    msg_id = r.body["id"]

    page = await api.call("GET", f"/api/conversations/{conv}/messages", token=tb)
    bob_url = page.body["messages"][-1]["attachments"][0]["url"]
    assert (await fetch(api, bob_url)).body == b"secret plans"
    assert (await fetch(api, path, tb)).code == 200
    assert (await fetch(api, path, tc)).code == 404

    # A link is bound to its user: Carol's forged one (Bob's link, her id) opens nothing.
    q = parse_qs(urlsplit(bob_url).query)
    forged = f"{path}?exp={q['exp'][0]}&sig={'x' + q['sig'][0][1:]}"
    assert (await fetch(api, forged)).code == 404
    assert (await fetch(api, f"{path}?exp=1&sig={q['sig'][0]}")).code == 404  # expired
    assert (await fetch(api, path)).code == 401

    # Deleted: the file goes with its last message.
    d = await api.call("DELETE", f"/api/conversations/{conv}/messages/{msg_id}", token=ta)
    assert d.status in (200, 204), d.body
    assert (await fetch(api, path, tb)).code == 404


@pytest.mark.gen_test(timeout=30)
async def test_a_live_message_carries_each_readers_own_link(api, running):
    alice, ta = await api.register()
    bob, tb = await api.register()
    conv = await api.direct(ta, bob["id"])
    f = (await upload(api, ta, png(), "p.png")).body
    wb = await Ws.connect(running.ws_base, tb)
    wa = await Ws.connect(running.ws_base, ta)
    payload = {"conversation_id": conv, "client_id": "c1", "text": ""}
    ack = await wa.request("message.send", {**payload, "attachments": [{"file_id": f["id"]}]})
    assert ack["type"] == "ack", ack
    new = await wb.expect("message.new")
    mine = ack["payload"]["message"]["attachments"][0]
    theirs = new["payload"]["message"]["attachments"][0]
    assert parse_qs(urlsplit(theirs["url"]).query)["sig"][0].startswith(bob["id"] + ".")
    assert parse_qs(urlsplit(mine["url"]).query)["sig"][0].startswith(alice["id"] + ".")
    assert (await fetch(api, theirs["thumbnail_url"])).code == 200


@pytest.mark.gen_test(timeout=30)
async def test_limits_names_and_quota(start_server):
    running = await start_server(max_upload_bytes=1000, upload_quota_bytes=1500)
    from tests.e2e.conftest import Api

    api = Api(running.base)
    _, token = await api.register()
    big = await upload(api, token, b"x" * 1001)
    assert big.status == 413 and big.error == "too_large"
    ok = await upload(api, token, b"x" * 1000, "..%2F..%2Fetc%2Fpasswd")
    assert ok.status == 201 and ok.body["name"] == "passwd"
    over = await upload(api, token, b"y" * 600)
    assert over.status == 413 and over.error == "quota_exceeded"
    empty = await upload(api, token, b"")
    assert empty.status == 400
    nameless = await api.call("POST", "/api/files", raw=b"abc", token=token)
    assert nameless.status == 400 and nameless.body["error"]["field"] == "name"
    surrogate = await upload(api, token, b"abc", "%ED%A0%80.txt")
    assert surrogate.status == 400
    anonymous = await api.call("POST", "/api/files?name=a", raw=b"abc")
    assert anonymous.status == 401
    api.http.close()
    await asyncio.sleep(0)
