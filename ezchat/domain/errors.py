"""The one exception tree of EZChat.

Each error carries a stable ``code`` that maps 1:1 to the API's error codes
(``invalid_request`` 400, ``unauthorized`` 401, ``forbidden`` 403, ``not_found`` 404,
``conflict`` 409, ``too_large`` 413, ``rate_limited`` 429, ``unavailable`` 503).
"""

from __future__ import annotations


class EzChatError(Exception):
    """Root of every error the project raises on purpose."""

    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extra(self) -> dict[str, object]:
        """Extra fields for the error body, beside code and message."""
        return {}


class InvalidRequest(EzChatError):
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def extra(self) -> dict[str, object]:
        return {"field": self.field} if self.field else {}


class Unauthorized(EzChatError):
    code = "unauthorized"


class Forbidden(EzChatError):
    code = "forbidden"


class NotFound(EzChatError):
    code = "not_found"


class Conflict(EzChatError):
    code = "conflict"


class Rejected(EzChatError):
    """The deployment's before-send hook refused the message (403, its own code)."""

    code = "rejected"


class TooLarge(EzChatError):
    code = "too_large"


class QuotaExceeded(TooLarge):
    """The user's uploads would pass their storage quota (413, a code of its own)."""

    code = "quota_exceeded"


class RateLimited(EzChatError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def extra(self) -> dict[str, object]:
        return {"retry_after": self.retry_after}


class StorageUnavailable(EzChatError):
    code = "unavailable"


class IncompatibleStorage(StorageUnavailable):
    """The store was written by a newer release (or is not EZChat's): it is not touched."""


class TransientStorageError(StorageUnavailable):
    """A storage failure that a retry may cure (a lost connection, a busy lock)."""


class StaleWrite(Conflict):
    """An optimistic write lost a race: the record changed since it was read."""
