"""Link previews against hostile pages: a real HTTP server on two loopback addresses (one of
them refused by the address policy), pages that are slow, huge, malformed, redirect in loops or
to the refused address, and a parser that never raises on what a page holds."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.adapters.outbound.previews import HttpLinkPreviewer, parse_page
from ezchat.domain import previews
from tests.ports import free_port

OK_PAGE = b"""<!doctype html><html><head>
<meta property="og:title" content="The  plan &amp; more">
<meta property="og:description" content="What we do next">
<meta property="og:image" content="/img/plan.png">
<meta property="og:site_name" content="Plans">
<title>ignored when og:title is there</title></head><body>hello</body></html>"""


class Pages:
    """A page server on ``host``: every request is recorded (path, User-Agent)."""

    def __init__(self, host: str) -> None:
        self.requests: list[tuple[str, str]] = []
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status, body=b"", ctype="text/html; charset=utf-8", extra=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                pages.requests.append((self.path, self.headers.get("User-Agent", "")))
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                route = parts.path
                try:
                    if route == "/ok":
                        self._send(200, OK_PAGE)
                    elif route == "/latin":
                        body = "<title>Caf\u00e9 \u00fcber</title>".encode("latin-1")
                        self._send(200, body, "text/html; charset=iso-8859-1")
                    elif route == "/go":
                        self._send(302, extra=[("Location", query["to"][0])])
                    elif route == "/chain":
                        n = int(query["n"][0])
                        where = "/ok" if n == 0 else f"/chain?n={n - 1}"
                        self._send(301, extra=[("Location", where)])
                    elif route == "/slow":
                        time.sleep(3)
                        self._send(200, OK_PAGE)
                    elif route == "/huge":
                        self._send(200, b"<title>big</title>" + b"x" * (2 * 1024 * 1024))
                    elif route == "/endless":  # no length, and more than a MiB
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.end_headers()
                        self.wfile.write(b"<title>endless</title>")
                        for _ in range(40):
                            self.wfile.write(b"y" * 65536)
                    elif route == "/json":
                        self._send(200, b'{"title": "no"}', "application/json")
                    elif route == "/broken":
                        self._send(
                            200,
                            b"<title>Broken<<meta content='x' property=og:description"
                            + b"<div>" * 5000
                            + b"\xff\xfe\x00<script>",
                        )
                    else:
                        self._send(404, b"no")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on us: that is the point

        self.port = free_port()
        self.server = ThreadingHTTPServer((host, self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pages():
    public, refused = Pages("127.0.0.1"), Pages("127.0.0.2")
    yield public, refused
    public.stop()
    refused.stop()


def previewer(timeout_s: float = 5.0) -> HttpLinkPreviewer:
    # 127.0.0.1 stands for the public internet here, 127.0.0.2 for an address the policy
    # refuses (loopback, private): the same check, told apart.
    def policy(address: str) -> str | None:
        return "refused for the test" if address == "127.0.0.2" else None

    http = OutboundHttp(allow_private=True, max_answer_bytes=1024 * 1024, policy=policy)
    return HttpLinkPreviewer(http, timeout_s=timeout_s)


@pytest.mark.gen_test(timeout=30)
async def test_a_page_says_what_it_is_and_is_asked_as_ezchat(pages):
    public, _ = pages
    p = previewer()
    got = await p.preview(f"{public.base}/ok")
    assert got is not None
    assert (got.title, got.description, got.site_name) == ("The plan & more", "What we do next",
                                                          "Plans")  # fmt: skip
    assert got.image_url == f"{public.base}/img/plan.png"
    assert got.url == f"{public.base}/ok"
    assert public.requests[-1][1].startswith("EZChat/")
    latin = await p.preview(f"{public.base}/latin")
    assert latin is not None and latin.title == "Caf\u00e9 \u00fcber"
    p.close()


@pytest.mark.gen_test(timeout=30)
async def test_redirects_are_followed_three_times_each_to_a_checked_address(pages):
    public, refused = pages
    p = previewer()
    hop = await p.preview(f"{public.base}/go?to=/ok")
    assert hop is not None and hop.url == f"{public.base}/go?to=/ok"
    assert (await p.preview(f"{public.base}/chain?n=2")) is not None  # 3 redirects
    assert (await p.preview(f"{public.base}/chain?n=3")) is None  # 4: too many
    assert await p.preview(f"{public.base}/go?to={refused.base}/ok") is None
    assert await p.preview(f"{refused.base}/ok") is None
    assert refused.requests == []  # never connected to
    assert await p.preview(f"{public.base}/go?to=file:///etc/passwd") is None
    p.close()


@pytest.mark.gen_test(timeout=30)
async def test_slow_huge_endless_and_other_pages_give_no_preview(pages):
    public, _ = pages
    p = previewer(timeout_s=1.0)
    # The page answers after 3 s, whole: only the 1 s budget makes this None.
    assert await p.preview(f"{public.base}/slow") is None
    assert await p.preview(f"{public.base}/huge") is None
    assert await p.preview(f"{public.base}/endless") is None
    assert await p.preview(f"{public.base}/json") is None
    assert await p.preview(f"{public.base}/missing") is None
    broken = await p.preview(f"{public.base}/broken")
    assert broken is None or broken.title is not None
    p.close()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_the_parser_takes_anything_and_keeps_within_bounds(body):
    got = parse_page(
        b"<meta property=og:title content='" + body + b"'>" + body,
        charset="utf-8",
        url="https://a.test/",
        final_url="https://a.test/x",
    )
    if got is not None:
        assert got.title is None or len(got.title) <= previews.MAX_TITLE
        assert got.description is None or len(got.description) <= previews.MAX_DESCRIPTION
        assert got.image_url is None or got.image_url.startswith(("http://", "https://"))
        for text in (got.title, got.description, got.site_name):
            assert text is None or not any(ord(c) < 32 for c in text)


@given(text=st.text(max_size=300))
def test_the_first_link_is_an_http_url_or_none(text):
    url = previews.first_url(text)
    assert url is None or (url.lower().startswith(("http://", "https://")) and url in text)


def test_the_first_link_leaves_the_sentence_its_punctuation():
    assert previews.first_url("see (https://a.test/x), then") == "https://a.test/x"
    assert previews.first_url("ftp://a.test and http://b.test/?q=1.") == "http://b.test/?q=1"
    assert previews.first_url("no link here") is None
    assert previews.first_url("http:// broken") is None
