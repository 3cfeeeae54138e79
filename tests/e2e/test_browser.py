"""The web client in a real browser (headless Chromium through playwright): two people chat,
see each other typing and what was seen; the server restarts and both reconnect and get what
was sent meanwhile; a page on an allowed origin works and one on another origin is refused."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import playwright.sync_api as playwright
import pytest

from ezchat.entry.handlers.web import WEBCLIENT
from tests.e2e.processes import ServerProcess
from tests.ports import free_port

CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000


class _ClientFiles(SimpleHTTPRequestHandler):
    """The web client's files as another origin would serve them: / and /app/*, the page
    naming the API it was set up for (``api``) in its meta tag."""

    api = ""

    def translate_path(self, path: str) -> str:
        name = path.split("?", 1)[0].removeprefix("/app/").lstrip("/") or "index.html"
        return str(WEBCLIENT / name)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/", "/index.html"):
            return super().do_GET()
        body = (
            (WEBCLIENT / "index.html")
            .read_bytes()
            .replace(
                b'name="ezchat-api-origins" content=""',
                f'name="ezchat-api-origins" content="{self.api}"'.encode(),
            )
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def other_origin() -> Iterator[tuple[str, type[_ClientFiles]]]:
    """Where the copy is served, and its handler (set ``api`` on it to name the API)."""
    files = type("Files", (_ClientFiles,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.fail("no chromium-headless-shell: `make test` installs it")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def sign_up(page, base: str, name: str) -> None:
    page.goto(base)
    page.get_by_test_id("auth-username").fill(name)
    page.get_by_test_id("auth-password").fill("password-1")
    page.get_by_test_id("auth-register").click()
    expect_text(page, "connection-state", "online")


def expect_text(page, testid: str, text: str) -> None:
    playwright.expect(page.get_by_test_id(testid)).to_have_text(text, timeout=WAIT_MS)


def message(page, text: str):
    return page.get_by_test_id("message").filter(has_text=text)


def test_two_people_chat_through_a_restart(browser, tmp_path):
    started = time.monotonic()
    port = free_port()
    server = ServerProcess(tmp_path, PORT=str(port), PRESENCE_GRACE_S="1")
    server.wait_ready()
    base = server.base
    alice, bob = browser.new_context().new_page(), browser.new_context().new_page()
    for page in (alice, bob):
        page.on("dialog", lambda d: d.accept())
    sign_up(alice, base, "alice")
    sign_up(bob, base, "bob")

    alice.get_by_test_id("new-direct-username").fill("bob")
    alice.get_by_test_id("new-direct-submit").click()
    alice.get_by_test_id("message-input").fill("hello bob")
    alice.get_by_test_id("message-send").click()
    playwright.expect(message(alice, "hello bob")).to_have_attribute("data-state", "sent")

    item = bob.get_by_test_id("conversation-item")
    playwright.expect(item.get_by_test_id("unread-badge")).to_have_text("1", timeout=WAIT_MS)
    item.click()
    playwright.expect(message(bob, "hello bob")).to_be_visible(timeout=WAIT_MS)
    bob.get_by_test_id("message-input").type("hi al")
    playwright.expect(alice.get_by_test_id("typing-indicator")).to_contain_text(
        "typing", timeout=WAIT_MS
    )
    bob.get_by_test_id("message-input").fill("hi alice")
    bob.get_by_test_id("message-send").click()
    playwright.expect(message(alice, "hi alice")).to_be_visible(timeout=WAIT_MS)
    # Alice has the conversation open: her read pointer moves, and bob sees "seen".
    playwright.expect(message(bob, "hi alice")).to_contain_text("seen", timeout=WAIT_MS)
    chatted = time.monotonic()

    # The server goes away; what alice sends meanwhile waits, pending, and goes when it is back.
    server.stop()
    for page in (alice, bob):
        expect_text(page, "connection-state", "reconnecting")
    alice.get_by_test_id("message-input").fill("while you were away")
    alice.get_by_test_id("message-send").click()
    playwright.expect(message(alice, "while you were away")).to_have_attribute(
        "data-state", "pending"
    )
    server = ServerProcess(tmp_path, PORT=str(port), PRESENCE_GRACE_S="1")
    try:
        server.wait_ready()
        for page in (alice, bob):
            expect_text(page, "connection-state", "online")
        playwright.expect(message(alice, "while you were away")).to_have_attribute(
            "data-state", "sent", timeout=WAIT_MS
        )
        playwright.expect(message(bob, "while you were away")).to_be_visible(timeout=WAIT_MS)
        bob.screenshot(path=str(tmp_path / "chat.png"))
    finally:
        server.stop()
    print(
        f"browser chat: {chatted - started:.1f} s to sign up two people and chat both ways, "
        f"{time.monotonic() - chatted:.1f} s through a restart"
    )


def test_a_page_on_an_allowed_origin_works_and_another_is_refused(browser, tmp_path):
    with other_origin() as (allowed, copy), other_origin() as (refused, other_copy):
        server = ServerProcess(tmp_path, ALLOWED_ORIGINS=allowed)
        try:
            server.wait_ready()
            copy.api = other_copy.api = server.base
            page = browser.new_context().new_page()
            sign_up(page, f"{allowed}/?api={server.base}", "carol")  # REST and the WebSocket
            page.get_by_test_id("new-direct-username").fill("carol")
            stranger = browser.new_context().new_page()
            stranger.goto(f"{refused}/?api={server.base}")
            stranger.get_by_test_id("auth-username").fill("mallory")
            stranger.get_by_test_id("auth-password").fill("password-1")
            stranger.get_by_test_id("auth-register").click()
            playwright.expect(stranger.locator("#error")).to_contain_text(
                "cannot reach the server", timeout=WAIT_MS
            )
            assert stranger.get_by_test_id("connection-state").is_hidden()
        finally:
            server.stop()
