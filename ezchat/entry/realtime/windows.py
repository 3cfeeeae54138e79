"""Events coalesced per key in a window: the first goes at once, later ones within the window
wait and only the newest goes when it ends. Receipts are keyed by (conversation, reader),
presence by user. Who gets a held event is decided when it goes: a member removed meanwhile
gets no held receipt."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Generic, TypeVar

from ezchat.domain.events import ConversationDeleted, Event, MemberRemoved, ReceiptMoved
from ezchat.domain.realtime import Coalescer
from ezchat.entry.realtime.deadline import Deadline
from ezchat.ports.clock import Clock

Deliver = Callable[[frozenset[str], bytes], object]
E = TypeVar("E", bound=Event)


class EventWindow(Generic[E]):
    def __init__(
        self,
        clock: Clock,
        *,
        window_s: float,
        key: Callable[[E], Hashable],
        encode: Callable[[E], bytes | None],
        deliver: Deliver,
    ) -> None:
        self._clock = clock
        self._key = key
        self._encode = encode
        self._deliver = deliver
        self._held: Coalescer[Hashable, E] = Coalescer(window_s=window_s)
        self._deadline = Deadline(clock, next_due=self._held.next_due, fire=self._flush)

    def offer(self, event: E) -> None:
        if self._held.offer(self._key(event), event, now=self._clock.monotonic()):
            self._send(event)
        else:
            self._deadline.arm()

    def revise(self, fn: Callable[[Hashable, E], E | None]) -> None:
        """Replace each held event with ``fn(key, event)``; None drops it."""
        self._held.revise(fn)

    def _send(self, event: E) -> None:
        data = self._encode(event)
        if data is not None:
            self._deliver(event.recipients, data)

    def _flush(self, now: float) -> None:
        for _, event in self._held.due(now=now):
            self._send(event)

    def cancel(self) -> None:
        self._deadline.cancel()


def receipts_after(
    window: EventWindow[ReceiptMoved], event: MemberRemoved | ConversationDeleted
) -> None:
    """Held receipts after a membership change: none of a deleted conversation, none to a
    removed member."""
    if isinstance(event, ConversationDeleted):
        gone = event.conversation.id
        window.revise(lambda key, e: None if e.conversation_id == gone else e)
        return
    cid, removed = event.conversation_id, event.user_id
    window.revise(
        lambda key, e: (
            replace(e, recipients=e.recipients - {removed}) if e.conversation_id == cid else e
        )
    )
