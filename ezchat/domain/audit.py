"""The audit log: what server admins, the operator's CLI and apps changed, and refused logins
of disabled accounts. Entries are only ever appended: no route or command changes or removes
one. They are read newest first, by (at, id)."""

from __future__ import annotations

from dataclasses import dataclass

CLI = "cli"  # the actor of what `python -m ezchat` did
APP = "app"  # the actor of what an app's backend did with its server key


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: float  # epoch seconds
    actor: str  # a user id, "cli" or "app"
    action: str  # e.g. "user.disable", "invite.create", "webhook.remove", "login.refused"
    target: str | None = None  # what it was done to (a user id, an invite id, a key name...)
    request_id: str | None = None  # the HTTP request it came with, when it did
    detail: str | None = None

    def key(self) -> tuple[float, str]:
        """Its place in the log, newest last."""
        return (self.at, self.id)
