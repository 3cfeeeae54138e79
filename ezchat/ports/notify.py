"""The notification port: a way of reaching a user who is not looking (a webhook, Web Push).

A channel knows its own targets for a user (the webhook is one; each push subscription is one)
and names each with a short stable key, which the outbox records once that target has a
notification, so that a retry never sends it there twice."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from ezchat.domain.notify import Notice


@dataclass(frozen=True)
class Outcome:
    """How one target took a notification."""

    key: str
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (a 4xx other than 408/429)
    retry_after_s: float | None = None  # the receiver asked for this pause (429/503)

    @staticmethod
    def sent(key: str) -> Outcome:
        return Outcome(key, True)


class Channel(Protocol):
    name: str

    async def deliver(self, notice: Notice, done: Collection[str]) -> list[Outcome]:
        """Send ``notice`` to each of the user's targets whose key is not in ``done``; an
        outcome per target tried. Never raises for a target's failure."""

    async def aclose(self) -> None: ...
