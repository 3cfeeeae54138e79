"""The deployment's before-send hook, applied to a send."""

from __future__ import annotations

from ezchat.domain import rules
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import Rejected
from ezchat.domain.messages import Attachment
from ezchat.ports.hooks import BeforeSend, Outgoing


async def hook_checked(
    hook: BeforeSend,
    limits: rules.Limits,
    caller: str,
    c: SendMessage,
    body: str,
    files: tuple[Attachment, ...],
) -> str:
    """The text as it may go (the hook's replacement checked like any text), or
    ``Rejected`` with the hook's reason."""
    verdict = await hook.check(
        Outgoing(c.conversation_id, caller, c.client_id, body, files, c.reply_to)
    )
    if verdict.action == "reject":
        raise Rejected(verdict.reason or "this message was rejected")
    if verdict.action == "replace":
        return rules.message_text(verdict.text, limits=limits, has_attachments=bool(files))
    return body
