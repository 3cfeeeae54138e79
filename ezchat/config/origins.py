"""Browser origins in settings: ``scheme://host[:port]``, as browsers send them."""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of origins, each as browsers send it (lower case, no slash)."""
    return tuple(o.strip().rstrip("/").lower() for o in text.split(",") if o.strip())


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not a browser origin (``scheme://host[:port]``), or None."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return "has a bad port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be scheme://host[:port], with http or https"
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return "must be scheme://host[:port] alone (no path, query or user)"
    return None
