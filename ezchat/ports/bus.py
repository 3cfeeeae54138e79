"""The event bus port: how domain events leave the service that made them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    channels: int = 0  # broker channels this process hears now
    subscribe_commands: int = 0  # subscriptions it asked the broker for, since start


class EventBus(Lifecycle, Protocol):
    async def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber. Never raises because a subscriber failed."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with each event published from now on; it must not block.
        Returns a function that ends the subscription."""

    @property
    def routed(self) -> bool:
        """Whether another process's conversation events reach this one only for the
        conversations it follows (otherwise following does nothing)."""

    async def follow(self, conversation_ids: Iterable[str]) -> None:
        """Hear these conversations' events from other processes too: returns once they are
        heard, or at once while the broker is away (they are heard again when it is back).
        A bus that hears everything does nothing."""

    def unfollow(self, conversation_ids: Iterable[str]) -> None:
        """No longer hear these conversations' events from other processes."""

    def hears(self, conversation_id: str) -> bool:
        """Whether every change of the conversation made by another process reaches this one
        now: what a process caches of a conversation it may keep only while this holds."""

    async def health(self) -> BrokerHealth:
        """Whether the broker that carries events to other processes is reachable."""

    def counts(self) -> BusCounts:
        """Events published, received from other processes, and dropped, since start."""
