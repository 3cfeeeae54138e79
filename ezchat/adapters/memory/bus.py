"""An event bus inside one process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ezchat.domain.events import Event
from ezchat.ports.bus import BrokerHealth, BusCounts, Subscriber

log = logging.getLogger(__name__)


class InProcessEventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._published = 0

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def health(self) -> BrokerHealth:
        return "disabled"

    def counts(self) -> BusCounts:
        return BusCounts(published=self._published, received=0, dropped=0)

    @property
    def routed(self) -> bool:
        return False

    async def follow(self, conversation_ids: Iterable[str]) -> None:
        return None  # there is no other process

    def unfollow(self, conversation_ids: Iterable[str]) -> None:
        return None

    def hears(self, conversation_id: str) -> bool:
        return True

    async def publish(self, event: Event) -> None:
        self._published += 1
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to every subscriber now; one failing subscriber stops no other."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", subscriber, type(event).__name__)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe
