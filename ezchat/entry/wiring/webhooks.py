"""The event webhooks' parts: the service, the bus that records for it, and the sender."""

from __future__ import annotations

from ezchat.adapters.notify.events import HttpEventSender
from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.config import Config
from ezchat.entry.webhook_events import RecordingBus
from ezchat.entry.webhook_worker import WebhookWorker
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import Stores
from ezchat.services.webhooks import WebhookPolicy, WebhookService


def build_webhooks(config: Config, *, stores: Stores, clock: Clock) -> WebhookService:
    sender = HttpEventSender(
        http=OutboundHttp(allow_private=config.outbound_allow_private),
        clock=clock,
        timeout_s=config.webhook_timeout_s,
    )
    return WebhookService(
        store=stores.webhooks,
        clock=clock,
        sender=sender,
        policy=WebhookPolicy(
            lease_s=config.webhook_lease_s,
            max_attempts=config.webhook_max_attempts,
            retry_base_s=config.webhook_retry_base_s,
            retry_cap_s=config.webhook_retry_max_s,
            keep_s=config.webhook_keep_s,
            allow_private=config.outbound_allow_private,
        ),
    )


def recording(bus: EventBus, webhooks: WebhookService, clock: Clock) -> RecordingBus:
    return RecordingBus(bus, webhooks, clock.now)


def webhook_worker(config: Config, webhooks: WebhookService) -> WebhookWorker:
    return WebhookWorker(webhooks, poll_s=config.webhook_poll_s)
