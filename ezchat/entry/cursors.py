"""Pagination cursors: a wire format, opaque to clients. A listing key as url-safe base64 JSON;
anything this server did not give is refused as ``invalid_request``."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from ezchat.domain.errors import InvalidRequest
from ezchat.services.conversations import ListingKey

MAX_CURSOR_LENGTH = 512


def encode(key: ListingKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode(cursor: str) -> ListingKey:
    """Any cursor this server did not give (forged, truncated, nested, huge numbers) is a 400."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        pinned, activity, cid = json.loads(raw)
        if not (
            type(pinned) is int
            and pinned in (0, 1)
            and type(activity) in (int, float)
            and math.isfinite(activity)
            and abs(activity) < 1e12
            and isinstance(cid, str)
            and len(cid) <= 64
        ):
            raise ValueError
        return (pinned, float(activity), cid)
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise InvalidRequest("cursor is not one this server gave", field="cursor") from None


def encode_search(order: str, position: str) -> str:
    """A search's next page: the order it was asked in, and where the store stopped."""
    return base64.urlsafe_b64encode(json.dumps([order, position]).encode()).decode().rstrip("=")


def decode_search(cursor: str, order: str) -> str:
    """The store's position, from a cursor this server gave for a search in ``order``."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        given_order, position = json.loads(raw)
        if given_order != order or not isinstance(position, str):
            raise ValueError
        return position
    except (ValueError, TypeError, RecursionError, binascii.Error):
        raise InvalidRequest(
            "cursor is not one this server gave for this order", field="cursor"
        ) from None


def _pack(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _unpack(cursor: str) -> Any:
    """The JSON a cursor holds; ``ValueError`` for anything this server could not have given."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (RecursionError, binascii.Error) as exc:
        raise ValueError from exc


def _refused() -> InvalidRequest:
    return InvalidRequest("cursor is not one this server gave", field="cursor")


def encode_thread(key: tuple[str, str, str]) -> str:
    """The followed threads list's next page: the last thread's activity key."""
    return _pack(list(key))


def decode_thread(cursor: str) -> tuple[str, str, str]:
    try:
        at, cid, mid = _unpack(cursor)
        if not all(isinstance(v, str) and len(v) <= 64 for v in (at, cid, mid)):
            raise ValueError
        return (at, cid, mid)
    except (ValueError, TypeError):
        raise _refused() from None


def encode_after(value: str) -> str:
    """A listing by name's next page: the last name given."""
    return _pack(["after", value])


def decode_after(cursor: str) -> str:
    try:
        tag, value = _unpack(cursor)
        if tag != "after" or not isinstance(value, str) or len(value) > 64:
            raise ValueError
        return value
    except (ValueError, TypeError):
        raise _refused() from None


def encode_audit(key: tuple[float, str]) -> str:
    """A listing by (time, id)'s next page (the audit log, reports): the last item's key."""
    return _pack(["audit", *key])


def decode_audit(cursor: str) -> tuple[float, str]:
    try:
        tag, at, entry_id = _unpack(cursor)
        if (
            tag != "audit"
            or type(at) not in (int, float)
            or not math.isfinite(at)
            or not isinstance(entry_id, str)
            or len(entry_id) > 64
        ):
            raise ValueError
        return (float(at), entry_id)
    except (ValueError, TypeError, OverflowError):
        raise _refused() from None
