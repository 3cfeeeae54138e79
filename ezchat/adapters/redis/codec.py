"""Domain events as JSON for the wire between processes.

Dataclasses, enums, datetimes, tuples and frozensets are tagged; decoding builds only the
domain's own classes (an allowlist), so nothing read from Redis can construct anything else.
Not pickle: a compromised broker must not be able to run code in the servers."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from enum import Enum
from typing import Any

from ezchat.domain import access, events, messages, model

ALLOWED: dict[str, type] = {
    cls.__name__: cls
    for module in (events, model, messages, access)
    for cls in vars(module).values()
    if isinstance(cls, type)
    and cls.__module__ == module.__name__
    and cls.__name__ != "Credentials"
    and (dataclasses.is_dataclass(cls) or issubclass(cls, Enum))
}


def _out(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "__t": type(value).__name__,
            **{f.name: _out(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Enum):
        return {"__e": type(value).__name__, "v": value.value}
    if isinstance(value, datetime):
        return {"__d": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tu": [_out(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"__fs": sorted(_out(v) for v in value)}
    if isinstance(value, list):
        return [_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _out(v) for k, v in value.items()}
    return value


def _in(value: Any) -> Any:
    if isinstance(value, list):
        return [_in(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__t" in value:
        cls = ALLOWED.get(value["__t"])
        if cls is None or not dataclasses.is_dataclass(cls):
            raise ValueError(f"not a domain class: {value['__t']!r}")
        return cls(**{k: _in(v) for k, v in value.items() if k != "__t"})
    if "__e" in value:
        enum = ALLOWED.get(value["__e"])
        if enum is None or not issubclass(enum, Enum):
            raise ValueError(f"not a domain enum: {value['__e']!r}")
        return enum(value["v"])
    if "__d" in value:
        return datetime.fromisoformat(value["__d"])
    if "__tu" in value:
        return tuple(_in(v) for v in value["__tu"])
    if "__fs" in value:
        return frozenset(_in(v) for v in value["__fs"])
    return {k: _in(v) for k, v in value.items()}


_HEAD = b'{"origin":"'


def origin_of(raw: bytes) -> bytes:
    """The publishing process of an encoded event, read without decoding it (``encode`` puts
    it first): a process skips its own events cheaply."""
    return raw[len(_HEAD) : len(_HEAD) + 32] if raw.startswith(_HEAD) else b""


def encode(origin: str, event: events.Event) -> str:
    return json.dumps({"origin": origin, "event": _out(event)}, separators=(",", ":"))


def decode(raw: str | bytes) -> tuple[str, events.Event]:
    """Raises ValueError for anything but a known event."""
    data = json.loads(raw)
    event = _in(data["event"])
    if not isinstance(event, events.Event):
        raise ValueError("not an event")
    return str(data["origin"]), event
