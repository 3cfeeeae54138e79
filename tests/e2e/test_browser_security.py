"""The web surface under attack, in a real browser: a link naming another API origin never
gets the user's token or password sent there, and neither page can be framed by another site;
both pages run under their Content-Security-Policy without a violation."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import playwright.sync_api as playwright
import pytest

from tests.e2e.processes import ServerProcess
from tests.e2e.test_browser import WAIT_MS, browser, expect_text, sign_up  # noqa: F401


class _Recorder(BaseHTTPRequestHandler):
    """An attacker's server: answers everything, and writes down what it was sent."""

    seen: list[tuple[str, str, dict[str, str]]]

    def _any(self) -> None:
        self.seen.append((self.command, self.path, dict(self.headers)))
        if self.path.startswith("/framer"):
            body = self.server.framer_page.encode()  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        else:
            body = b'{"token": "x", "user": {"id": "x"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_OPTIONS = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def attacker(framer_page: str = "") -> Iterator[tuple[str, list[tuple[str, str, dict[str, str]]]]]:
    seen: list[tuple[str, str, dict[str, str]]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.framer_page = framer_page  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_a_link_naming_another_api_gets_nothing_sent_there(browser, server):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, server.base, "alice")  # a token is stored for this origin
    with attacker() as (evil, seen):
        page.goto(f"{server.base}/?api={evil}")
        playwright.expect(page.locator("#error")).to_contain_text(
            "does not use the API", timeout=WAIT_MS
        )
        assert page.get_by_test_id("auth-username").is_hidden()  # no form to type into
        page.wait_for_timeout(300)  # what the page would send, it sends at once
    assert seen == []


def test_an_api_the_server_allows_gets_no_token_of_another_and_the_form_says_where(
    browser,  # noqa: F811
    tmp_path,
):
    with attacker() as (other, seen):
        server = ServerProcess(tmp_path, WEB_API_ORIGINS=other)
        try:
            server.wait_ready()
            page = browser.new_context().new_page()
            sign_up(page, server.base, "bob")
            page.goto(f"{server.base}/?api={other}")
            playwright.expect(page.get_by_test_id("auth-target")).to_contain_text(
                f"signing in to {other}", timeout=WAIT_MS
            )
        finally:
            server.stop()
    # The page asked the other API nothing with bob's token: it holds none for that origin.
    assert not [s for s in seen if "Authorization" in s[2]]


@pytest.mark.parametrize("path", ["/", "/api/docs"])
def test_no_other_site_can_frame_a_page(browser, server, path):  # noqa: F811
    framer = f'<iframe id="f" src="{server.base}{path}" width="600" height="400"></iframe>'
    with attacker(framer) as (evil, _seen):
        page = browser.new_context().new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text))
        page.goto(f"{evil}/framer")
        deadline_ms = WAIT_MS
        while not any("frame-ancestors" in text for text in refused) and deadline_ms > 0:
            page.wait_for_timeout(100)
            deadline_ms -= 100
        assert any("frame-ancestors" in text for text in refused), refused
        child = [f for f in page.frames if f != page.main_frame]
        assert child, "the iframe is there"
        # A refused frame shows the browser's error page: none of the server's markup.
        assert child[0].locator("#auth, #swagger-ui").count() == 0


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/", "auth-username"), ("/api/docs", None)],
)
def test_both_pages_work_under_their_policy(browser, server, path, ready):  # noqa: F811
    page = browser.new_context().new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(server.base + path)
    if ready:
        playwright.expect(page.get_by_test_id(ready)).to_be_visible(timeout=WAIT_MS)
    else:  # Swagger UI rendered the document's operations
        playwright.expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(300)
    assert violations == []
    if path == "/":
        sign_up(page, server.base, "carol")  # REST, the ticket and the WebSocket all pass
        expect_text(page, "connection-state", "online")
        assert violations == []
