"""The event bus port: how domain events leave the service that made them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from ezchat.domain.events import Event
from ezchat.ports.lifecycle import Lifecycle

Subscriber = Callable[[Event], None]
# "disabled": no broker, the bus is this process alone.
BrokerHealth = Literal["ok", "unavailable", "disabled"]


@dataclass(frozen=True)
class BusCounts:
    published: int  # events this process published
    received: int  # events other processes published that reached this one
    dropped: int  # events that never left this process (the queue to the broker overflowed)


class EventBus(Lifecycle, Protocol):
    async def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber. Never raises because a subscriber failed."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with each event published from now on; it must not block.
        Returns a function that ends the subscription."""

    async def health(self) -> BrokerHealth:
        """Whether the broker that carries events to other processes is reachable."""

    def counts(self) -> BusCounts:
        """Events published, received from other processes, and dropped, since start."""
