"""The README's screenshots of the web client, at desktop and at phone width, from a server
started here with a small made-up team (no real data).

    .venv/bin/python -m bench.screenshots      # writes docs/chat.png and docs/chat-phone.png

Needs Debian's chromium-headless-shell (as the browser tests) and an emoji font
(``apt-get install fonts-noto-color-emoji``) so reactions do not render as boxes."""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path

import playwright.sync_api as pw
from PIL import Image, ImageDraw

from tests.e2e.processes import ServerProcess, call, new_group, post, register

DOCS = Path(__file__).resolve().parent.parent / "docs"


def picture() -> bytes:
    im = Image.new("RGB", (960, 640), (70, 130, 180))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 430, 960, 640), fill=(60, 140, 70))
    draw.ellipse((700, 80, 860, 240), fill=(250, 210, 60))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(base: str, token: str, data: bytes, name: str) -> dict:
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{base}/api/files?name={name}",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return dict(json.load(r))


def scene(base: str) -> tuple[str, str]:
    people = {}
    for name, shown in [("maya", "Maya"), ("tom", "Tom"), ("ines", "Inès"), ("raj", "Raj")]:
        user, token = register(base, name)
        call(base, "PATCH", "/api/users/me", {"display_name": shown}, token)
        people[name] = (user, token)
    maya, tm = people["maya"]
    cid = new_group(base, tm, *(people[n][0] for n in ("tom", "ines", "raj")), name="Launch crew")
    say = [
        ("tom", "Morning! The staging build is up 🚀"),
        ("ines", "Nice. I ran the smoke tests: all green except `export --zip`"),
        ("maya", "That one is mine, looking now"),
        ("raj", "Photos from the offsite, finally:"),
    ]
    for i, (who, text) in enumerate(say):
        post(base, people[who][1], cid, f"s{i}", text)
    f = upload(base, people["raj"][1], picture(), "offsite.jpg")
    body = {"client_id": "s-img", "text": "", "attachments": [{"file_id": f["id"]}]}
    img = call(base, "POST", f"/api/conversations/{cid}/messages", body, people["raj"][1])
    for who in ("maya", "tom", "ines"):
        call(
            base,
            "PUT",
            f"/api/conversations/{cid}/messages/{img['id']}/reactions/%F0%9F%98%8D",
            None,
            people[who][1],
        )
    fix = post(base, tm, cid, "s5", "Fixed: the zip writer closed its stream twice. PR in a minute")
    body = {"client_id": "s6", "text": "Great catch, merging after lunch", "reply_to": fix["id"]}
    reply = call(base, "POST", f"/api/conversations/{cid}/messages", body, people["tom"][1])
    call(
        base,
        "PUT",
        f"/api/conversations/{cid}/messages/{reply['id']}/reactions/%F0%9F%91%8D",
        None,
        tm,
    )
    dm = call(
        base,
        "POST",
        "/api/conversations",
        {"type": "direct", "user_id": people["ines"][0]["id"]},
        tm,
    )
    post(base, people["ines"][1], dm["id"], "d1", "Coffee at 3?")
    return tm, cid


def main() -> None:
    chromium = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    assert chromium, "needs chromium-headless-shell (make browser)"
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), MESSAGE_RATE_PER_SEC="1000", MESSAGE_BURST="1000")
        try:
            server.wait_ready()
            token, cid = scene(server.base)
            with pw.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                for name, size in [("chat.png", (1200, 720)), ("chat-phone.png", (390, 780))]:
                    context = browser.new_context(
                        viewport={"width": size[0], "height": size[1]}, device_scale_factor=1
                    )
                    page = context.new_page()
                    page.goto(server.base)
                    page.evaluate(f"localStorage.setItem('ezchat.token@{server.base}', '{token}')")
                    page.goto("about:blank")
                    page.goto(f"{server.base}/#{cid}")
                    pw.expect(page.get_by_test_id("connection-state")).to_have_text("online")
                    page.wait_for_function("() => [...document.images].every((i) => i.complete)")
                    time.sleep(0.5)
                    page.screenshot(path=str(DOCS / name))
                    print(f"wrote {DOCS / name}")
                    context.close()
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
