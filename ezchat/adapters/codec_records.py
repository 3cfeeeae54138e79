"""Scheduled messages and reports as rows and documents hold them (the rest of the codec is in
codec.py)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ezchat.adapters.codec import (
    Stored,
    _listed,
    _opt,
    attachments_in,
    attachments_out,
    time_out,
    time_req,
)
from ezchat.domain.reports import Report, ReportStatus, Resolution
from ezchat.domain.scheduled import Scheduled, ScheduledState


def scheduled_out(s: Scheduled) -> dict[str, Any]:
    """A scheduled message as a row or document holds it (``id`` included)."""
    return {
        "id": s.id,
        "user_id": s.user_id,
        "conversation_id": s.conversation_id,
        "client_id": s.client_id,
        "text": s.text,
        "attachments": json.dumps(attachments_out(s.attachments)),
        "reply_to": s.reply_to,
        "send_at": time_out(s.send_at),
        "created_at": time_out(s.created_at),
        "state": s.state.value,
        "error": s.error,
        "due_at": s.due_at,
        "attempts": s.attempts,
        "lease_until": s.lease_until,
        "lease_token": s.lease_token,
        "version": s.version,
    }


def scheduled_in(d: Stored) -> Scheduled:
    return Scheduled(
        id=d["id"],
        user_id=d["user_id"],
        conversation_id=d["conversation_id"],
        client_id=d["client_id"],
        text=d["text"],
        attachments=attachments_in(_listed(d["attachments"])),
        reply_to=_opt(d, "reply_to"),
        send_at=time_req(d["send_at"]),
        created_at=time_req(d["created_at"]),
        state=ScheduledState(d["state"]),
        error=_opt(d, "error"),
        due_at=d["due_at"],
        attempts=d["attempts"],
        lease_until=d["lease_until"],
        lease_token=_opt(d, "lease_token"),
        version=d["version"],
    )


def report_out(r: Report) -> dict[str, Any]:
    out = dataclasses.asdict(r)
    out["status"] = r.status.value
    out["action"] = r.action.value if r.action else None
    return out


def report_in(d: Stored) -> Report:
    return Report(
        id=d["id"],
        conversation_id=d["conversation_id"],
        message_id=d["message_id"],
        reporter_id=d["reporter_id"],
        sender_id=d["sender_id"],
        text=d["text"],
        reason=d["reason"],
        category=_opt(d, "category"),
        created_at=d["created_at"],
        status=ReportStatus(d["status"]),
        resolved_by=_opt(d, "resolved_by"),
        resolved_at=_opt(d, "resolved_at"),
        action=Resolution(d["action"]) if _opt(d, "action") else None,
    )
