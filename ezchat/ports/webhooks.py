"""The ports of webhooks: the app's event webhooks with their durable deliveries, and the
incoming webhooks that post into conversations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ezchat.domain.webhooks import Delivery, IncomingHook, Webhook


class WebhookStore(Protocol):
    async def add(self, webhook: Webhook) -> None: ...

    async def all(self) -> list[Webhook]:
        """Every webhook, oldest first."""

    async def remove(self, webhook_id: str) -> bool:
        """The webhook and its deliveries go; False when there was none."""

    async def record(self, deliveries: list[Delivery]) -> None:
        """Keep them, in this order, after everything recorded before (their ``position``
        says where). One whose (webhook, event) is kept already is left as it is: recording an
        event again never delivers it twice. Durable when this returns."""

    async def claimable(self, *, now: float, limit: int) -> list[Delivery]:
        """Up to ``limit`` pending deliveries that are the first pending one of their webhook
        and group, due by ``now`` and not leased, by position (``webhooks.claimable``)."""

    async def lease(self, delivery: Delivery, *, until: float, token: str) -> Delivery | None:
        """Take the delivery for sending until ``until``, if it is still as it was read
        (pending, same lease); None when someone else took or settled it."""

    async def settle(self, delivery: Delivery) -> bool:
        """Write the delivery's outcome (state, attempts, next_at, last_status, last_error,
        finished_at; the lease let go) if ``delivery.lease_token`` still holds it."""

    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        """The webhook's latest deliveries, newest first."""

    async def prune(self, *, before: float) -> int:
        """Forget deliveries delivered before ``before``; how many went."""


class IncomingHookStore(Protocol):
    async def add(self, hook: IncomingHook) -> None: ...

    async def by_token_hash(self, token_hash: str) -> IncomingHook | None: ...

    async def for_conversation(self, conversation_id: str) -> list[IncomingHook]:
        """Oldest first."""

    async def remove(self, hook_id: str) -> IncomingHook | None:
        """The removed hook; None when there was none."""


@dataclass(frozen=True)
class Sent:
    """How one POST to a webhook went: ``code`` is the HTTP status (None: no answer)."""

    code: int | None
    error: str | None = None
    refused: bool = False  # the address policy refused the target: trying again cannot help

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class EventSender(Protocol):
    async def send(self, webhook: Webhook, delivery: Delivery) -> Sent:
        """POST the delivery's body to the webhook, signed with its secret. Never raises."""

    def close(self) -> None: ...
