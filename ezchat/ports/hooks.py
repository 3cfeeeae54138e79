"""The before-send hook: an app's own check of every message before it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ezchat.domain.messages import Attachment


@dataclass(frozen=True)
class Verdict:
    action: Literal["allow", "reject", "replace"]
    reason: str = ""
    text: str = ""


@dataclass(frozen=True)
class Outgoing:
    """What is about to be sent."""

    conversation_id: str
    sender_id: str
    client_id: str
    text: str
    attachments: tuple[Attachment, ...]
    reply_to: str | None


class BeforeSend(Protocol):
    async def check(self, message: Outgoing) -> Verdict:
        """The hook's answer. The adapter applies its failure policy: an unreachable or
        unreadable hook is ``allow`` (open) or ``reject`` (closed), never an exception."""
