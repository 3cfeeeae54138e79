"""Link previews: which link of a message is previewed, and what of a page is kept.

The first ``http(s)`` URL of the text is previewed (one per message, as Slack and Zulip do).
What a page says is cut to sizes a chat client can show, stripped of control characters; an
image URL is kept only when it is ``http(s)``. The page's HTML is read by an adapter, with a
real parser; this only decides."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin, urlsplit

from ezchat.domain.messages import LinkPreview

MAX_URL = 2048
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
MAX_SITE_NAME = 100

# A URL ends at whitespace or at a character that cannot end one in prose (a closing bracket
# or punctuation right after it belongs to the sentence).
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def first_url(text: str) -> str | None:
    """The first ``http(s)`` URL in ``text`` (trailing punctuation left to the sentence), or
    None when there is none or it is not a URL a request can be made to."""
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if len(url) > MAX_URL:
            continue
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            return url
    return None


def clean(value: str | None, limit: int) -> str | None:
    """A page's text as kept: whitespace runs made one space, control and format characters
    dropped, cut at ``limit`` characters; None when nothing is left."""
    if value is None:
        return None
    kept = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n ")
    kept = " ".join(kept.split())
    if not kept:
        return None
    return kept if len(kept) <= limit else kept[: limit - 1] + "\u2026"


def absolute_http(url: str | None, base: str) -> str | None:
    """``url`` (relative to ``base``) when it is an http(s) URL of bounded length."""
    if not url:
        return None
    try:
        full = urljoin(base, url.strip())
        parts = urlsplit(full)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(full) > MAX_URL:
        return None
    return full


def preview_of(
    url: str,
    *,
    final_url: str,
    title: str | None,
    description: str | None,
    image: str | None,
    site_name: str | None,
) -> LinkPreview | None:
    """The preview of ``url`` from what its page (reached at ``final_url``) said; None when it
    said nothing worth showing (no title and no description)."""
    t, d = clean(title, MAX_TITLE), clean(description, MAX_DESCRIPTION)
    if t is None and d is None:
        return None
    return LinkPreview(
        url=url,
        title=t,
        description=d,
        image_url=absolute_http(image, final_url),
        site_name=clean(site_name, MAX_SITE_NAME),
    )
