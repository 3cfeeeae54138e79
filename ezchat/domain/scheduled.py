"""Scheduled messages: a send kept until its time, then sent as if the sender sent it then.

Every change of an item is written only over the version it was read at, so a PATCH, a DELETE
and the senders of several processes never overwrite one another. The send itself uses the
item's ``client_id``: a send repeated after a lease ran out (a process that died mid-send)
returns the message the first one stored, so an item is sent once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.messages import Attachment

MIN_AHEAD = timedelta(seconds=10)
MAX_AHEAD = timedelta(days=365)
MAX_PER_USER = 100  # items waiting (or failed) per user
MAX_ATTEMPTS = 20  # sends that failed for a passing reason (the store away) before giving up


class ScheduledState(StrEnum):
    PENDING = "pending"  # waiting for its time
    SENDING = "sending"  # a process holds it (until lease_until)
    FAILED = "failed"  # refused when it was due: ``error`` says why; editing it tries again


@dataclass(frozen=True)
class Scheduled:
    id: str
    user_id: str
    conversation_id: str
    client_id: str
    text: str
    attachments: tuple[Attachment, ...]
    reply_to: str | None
    send_at: datetime
    created_at: datetime
    state: ScheduledState = ScheduledState.PENDING
    error: str | None = None
    due_at: float = 0.0  # when it is next tried (epoch seconds): send_at, later after a retry
    attempts: int = 0
    lease_until: float = 0.0
    lease_token: str | None = None
    version: int = 1  # every write takes the next; each is made over the one it read


def send_at_field(send_at: datetime, now: datetime) -> datetime:
    """``send_at`` when it is 10 s to a year ahead of ``now``."""
    if send_at.tzinfo is None:
        raise InvalidRequest("send_at needs a time zone (RFC 3339)", field="send_at")
    if not now + MIN_AHEAD <= send_at <= now + MAX_AHEAD:
        raise InvalidRequest("send_at must be 10 seconds to 1 year ahead", field="send_at")
    return send_at


def editable(item: Scheduled, now: float) -> bool:
    """Waiting or failed, not held by a sender (a lease that ran out holds nothing)."""
    return item.state is not ScheduledState.SENDING or item.lease_until <= now


def claimed(item: Scheduled, *, now: float, lease_s: float, token: str) -> Scheduled:
    return replace(
        item, state=ScheduledState.SENDING, lease_until=now + lease_s, lease_token=token,
        attempts=item.attempts + 1,
    )  # fmt: skip


def retried(item: Scheduled, *, at: float, error: str) -> Scheduled:
    """A passing failure: due again at ``at`` (failed for good after ``MAX_ATTEMPTS``)."""
    if item.attempts >= MAX_ATTEMPTS:
        return failed(item, error)
    return replace(
        item, state=ScheduledState.PENDING, due_at=at, lease_until=0.0, lease_token=None,
        error=error,
    )  # fmt: skip


def failed(item: Scheduled, error: str) -> Scheduled:
    return replace(
        item, state=ScheduledState.FAILED, error=error, lease_until=0.0, lease_token=None
    )


def rescheduled(
    item: Scheduled, *, text: str | None, send_at: datetime | None, attachments_ok: bool
) -> Scheduled:
    """An edit: a new text or time; a failed item waits again."""
    changes: dict[str, object] = {
        "state": ScheduledState.PENDING,
        "error": None,
        "attempts": 0,
        "lease_until": 0.0,
        "lease_token": None,
    }
    if text is not None:
        if not text.strip() and not attachments_ok:
            raise InvalidRequest("text must not be empty", field="text")
        changes["text"] = text
    if send_at is not None:
        changes["send_at"] = send_at
        changes["due_at"] = send_at.timestamp()
    return replace(item, **changes)  # type: ignore[arg-type]
