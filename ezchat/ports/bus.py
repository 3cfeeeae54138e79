"""The event bus port: how domain events leave the service that made them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ezchat.domain.events import Event

Subscriber = Callable[[Event], None]


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber. Never raises because a subscriber failed."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with each event published from now on; it must not block.
        Returns a function that ends the subscription."""
