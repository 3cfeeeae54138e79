"""Reading client JSON: types are checked here, value rules in the domain. Every problem is an
``InvalidRequest`` naming the field."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.messages import Attachment
from ezchat.domain.unset import UNSET, Unset

MAX_INT = 2**53  # exact in every JSON reader and every store
# JSON's escape for a UTF-16 surrogate. Only text holding one can decode to an unpaired
# surrogate, so the walk below runs only then.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a UTF-16 surrogate that is not part of a character: JSON allows
    ``"\\ud800"``, but no store, log or client can encode it as UTF-8."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(text: str) -> str:
    """``text`` safe to put in an error message: lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def not_text(field: str) -> InvalidRequest:
    return InvalidRequest(
        f"{field} holds an unpaired UTF-16 surrogate, which is not text", field=field
    )


def _find_lone_surrogate(value: object) -> str | None:
    """The path of the first string (or key) in ``value`` holding a lone surrogate. Iterative:
    the nesting may be as deep as the JSON reader allowed."""
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return where
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                path = f"{where}.{printable(key)}" if where else printable(key)
                if has_lone_surrogate(key):
                    return path
                stack.append((inner, path))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]") for i, inner in reversed(list(enumerate(item))))
    return None


def reject_lone_surrogates(data: object, text: str) -> None:
    """Raise ``InvalidRequest`` naming the first field of ``data`` (parsed from ``text``) that
    holds a lone surrogate."""
    if _SURROGATE_ESCAPE.search(text):
        where = _find_lone_surrogate(data)
        if where is not None:
            raise not_text(where)


def json_object(raw: bytes | str, *, what: str = "body", text_only: bool = True) -> Fields:
    """Parse ``raw`` as one JSON object whose strings are all text (no lone surrogates);
    ``text_only=False`` leaves that check to the caller (``reject_lone_surrogates``)."""
    if not raw.strip():
        raise InvalidRequest(f"{what} must be a JSON object")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InvalidRequest(f"{what} is not valid UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest(f"{what} is not valid JSON: {str(exc)[:100]}") from None
    if not isinstance(data, dict):
        raise InvalidRequest(f"{what} must be a JSON object")
    if text_only:
        reject_lone_surrogates(data, text)
    return Fields(data)


class Fields:
    """Typed access to a JSON object's fields. ``prefix`` names nested objects in messages."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self._prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def _get(self, key: str, required: bool) -> object:
        if key not in self.data:
            if required:
                raise InvalidRequest(f"{self._name(key)} is required", field=self._name(key))
            return UNSET
        return self.data[key]

    def _wrong(self, key: str, kind: str) -> InvalidRequest:
        return InvalidRequest(f"{self._name(key)} must be {kind}", field=self._name(key))

    def text(self, key: str) -> str:
        value = self._get(key, True)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """Absent, null and empty are all None."""
        value = self._get(key, False)
        if value is UNSET or value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value if value else None

    def patch_text(self, key: str) -> str | Unset:
        """For updates: absent is UNSET (leave as is); null is refused."""
        value = self._get(key, False)
        if value is UNSET:
            return UNSET
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def patch_nullable_text(self, key: str) -> str | None | Unset:
        """For updates: absent is UNSET (leave as is); null is None (clear)."""
        value = self._get(key, False)
        if value is UNSET or value is None:
            return value
        if not isinstance(value, str):
            raise self._wrong(key, "a string or null")
        return value

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self._get(key, True)
        return self._int(key, value, minimum)

    def optional_integer(self, key: str, *, minimum: int = 0) -> int | Unset:
        value = self._get(key, False)
        return UNSET if value is UNSET else self._int(key, value, minimum)

    def _int(self, key: str, value: object, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        if not minimum <= value <= MAX_INT:
            raise self._wrong(key, f"between {minimum} and {MAX_INT}")
        return value

    def patch_nullable_integer(self, key: str, *, minimum: int = 0) -> int | None | Unset:
        """For updates: absent is UNSET (leave as is); null is None (clear)."""
        value = self._get(key, False)
        if value is UNSET or value is None:
            return value
        return self._int(key, value, minimum)

    def optional_bool(self, key: str) -> bool | None:
        value = self._get(key, False)
        if value is UNSET:
            return None
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def optional_time(self, key: str) -> datetime | None:
        """An RFC 3339 time with its offset (``2026-12-24T18:00:00Z``), or None when absent."""
        value = self._get(key, False)
        if value is UNSET or value is None:
            return None
        if not isinstance(value, str) or len(value) > 64:
            raise self._wrong(key, "an RFC 3339 time")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self._wrong(key, "an RFC 3339 time with its offset") from None

    def text_list(self, key: str, *, required: bool = True) -> list[str]:
        value = self._get(key, required)
        if value is UNSET:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "a list of strings")
        return value

    def object(self, key: str, *, required: bool = True) -> Fields | None:
        value = self._get(key, required)
        if value is UNSET or (value is None and not required):
            return None
        if not isinstance(value, dict):
            raise self._wrong(key, "an object")
        return Fields(value, prefix=f"{self._name(key)}.")

    def attachments(self, key: str = "attachments") -> list[Attachment]:
        value = self._get(key, False)
        if value is UNSET or value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        out = []
        for i, item in enumerate(value):
            where = f"{self._name(key)}[{i}]"
            if not isinstance(item, dict):
                raise InvalidRequest(f"{where} must be an object", field=where)
            f = Fields(item, prefix=f"{where}.")
            if "file_id" in item:
                file_id = f.text("file_id")
                out.append(Attachment(url="", name="", mime_type="", size=0, file_id=file_id))
                continue
            out.append(
                Attachment(
                    url=f.text("url"),
                    name=f.text("name"),
                    mime_type=f.text("mime_type"),
                    size=f.integer("size"),
                )
            )
        return out


def query_int(
    value: str | None, name: str, *, default: int | None, low: int, high: int
) -> int | None:
    """An integer query argument within [low, high]."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a whole number", field=name) from None
    if not low <= number <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}", field=name)
    return number


LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def query_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time (``2026-11-27T12:00:00Z``; without an offset, UTC), or None."""
    if value is None or value == "":
        return None
    try:
        if len(value) > 64:
            raise ValueError
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)  # year 1 at +14:00 is out of range: a 400, not a 500
    except (ValueError, OverflowError):
        raise InvalidRequest(f"{name} must be an ISO 8601 time", field=name) from None
    if parsed > LATEST_TIME:
        # Within a second of the end of datetime's range, rounding to milliseconds (what the
        # stores keep) would pass it.
        raise InvalidRequest(f"{name} must be at most 9999-12-31T23:59:59Z", field=name)
    return parsed
