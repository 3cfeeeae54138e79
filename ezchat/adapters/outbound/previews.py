"""``HttpLinkPreviewer``: a linked page read through the guarded client and parsed by Lexbor.

Each request is a GET with EZChat's User-Agent through ``OutboundHttp`` (its address policy,
connected-address check, per-target fairness and size cap: ``LINK_PREVIEW_MAX_BYTES``); at most
``MAX_REDIRECTS`` redirects are followed, each a request of its own to a checked address, all
within one time budget. Only ``text/html`` answers with a 2xx status are read. Parsing (up to a
MiB of hostile HTML) runs on a worker thread, not on the event loop."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from ezchat import __version__
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.domain import previews
from ezchat.domain.messages import LinkPreview

MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
TIMEOUT_S = 5.0
USER_AGENT = f"EZChat/{__version__} (link preview)"
REDIRECTS = {301, 302, 303, 307, 308}
HTML = ("text/html", "application/xhtml+xml")


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return "utf-8"


def parse_page(body: bytes, *, charset: str, url: str, final_url: str) -> LinkPreview | None:
    """What a page says of itself: OpenGraph first, then Twitter cards, then ``<title>`` and
    the description meta tag. Never raises on what a page holds."""
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    tree = LexborHTMLParser(text)
    found: dict[str, str] = {}
    for meta in tree.css("meta"):
        attrs = meta.attributes
        key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        content = attrs.get("content")
        if key and content and key not in found:
            found[key] = content
    title_node = tree.css_first("title")

    def first(*keys: str) -> str | None:
        return next((found[k] for k in keys if found.get(k)), None)

    return previews.preview_of(
        url,
        final_url=final_url,
        title=first("og:title", "twitter:title") or (title_node.text() if title_node else None),
        description=first("og:description", "twitter:description", "description"),
        image=first("og:image", "og:image:url", "og:image:secure_url", "twitter:image"),
        site_name=first("og:site_name"),
    )


class HttpLinkPreviewer:
    def __init__(
        self,
        http: OutboundHttp,
        *,
        timeout_s: float = TIMEOUT_S,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self._http = http
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects

    async def preview(self, url: str) -> LinkPreview | None:
        deadline = time.monotonic() + self._timeout_s
        target = url
        for _ in range(self._max_redirects + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            answer, body = await self._http.get(
                target,
                timeout_s=left,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
            )
            if answer.code in REDIRECTS:
                location = answer.headers.get("Location")
                if not location:
                    return None
                target = urljoin(target, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    return None
                continue
            if answer.code is None or not 200 <= answer.code < 300 or not body:
                return None
            content_type = answer.headers.get("Content-Type", "")
            if content_type.split(";")[0].strip().lower() not in (
                "text/html",
                "application/xhtml+xml",
            ):
                return None
            return await asyncio.to_thread(
                parse_page, body, charset=_charset(content_type), url=url, final_url=target
            )
        return None  # too many redirects

    def close(self) -> None:
        self._http.close()
