"""HTTP byte ranges (RFC 9110 14.1): one range of a ``Range: bytes=...`` header."""

from __future__ import annotations

import re

_ONE = re.compile(r"\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*")


class Unsatisfiable(Exception):
    """The range starts past the end (416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The span ``[start, end)`` of ``size`` bytes that ``header`` asks for; None for the whole
    file (no header, one that does not parse, or several ranges: the whole answer is allowed
    for those). ``Unsatisfiable`` when it begins at or past the end."""
    if not header:
        return None
    m = _ONE.fullmatch(header)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        n = int(last)
        if n == 0:
            raise Unsatisfiable
        return max(0, size - n), size
    start = int(first)
    end = size if last == "" else min(size, int(last) + 1)
    if last != "" and int(last) < start:
        return None  # not a valid range: ignored
    if start >= size:
        raise Unsatisfiable
    return start, end
