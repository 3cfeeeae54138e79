"""Reports: a member tells the server's admins about a message. The report keeps the message's
text as it was when reported (an edit or delete afterwards does not change what admins read).
One reporter reports one message once: a second report is the first."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ezchat.domain.errors import InvalidRequest

CATEGORIES = ("spam", "harassment", "hate", "violence", "sexual", "illegal", "other")
MAX_REASON = 1000


class ReportStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    DISMISS = "dismiss"
    DELETE_MESSAGE = "delete_message"
    DISABLE_USER = "disable_user"


@dataclass(frozen=True)
class Report:
    id: str
    conversation_id: str
    message_id: str
    reporter_id: str
    sender_id: str
    text: str  # the message's text when it was reported
    reason: str
    category: str | None
    created_at: float
    status: ReportStatus = ReportStatus.OPEN
    resolved_by: str | None = None
    resolved_at: float | None = None
    action: Resolution | None = None

    def key(self) -> tuple[float, str]:
        return (self.created_at, self.id)


def reason_field(value: str) -> str:
    reason = value.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidRequest(f"reason must be 1 to {MAX_REASON} characters", field="reason")
    return reason


def category_field(value: str | None) -> str | None:
    if value is not None and value not in CATEGORIES:
        raise InvalidRequest(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    return value


def resolution_field(value: str) -> Resolution:
    try:
        return Resolution(value)
    except ValueError:
        raise InvalidRequest(
            "action must be dismiss, delete_message or disable_user", field="action"
        ) from None
