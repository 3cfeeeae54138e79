"""Receipt events, coalesced: the first of a user in a conversation goes at once, later ones
within the window wait and only the newest goes when it ends. Who gets a held receipt is
decided when it goes: a member removed meanwhile gets none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ezchat.domain.events import ConversationDeleted, MemberRemoved, ReceiptMoved
from ezchat.domain.realtime import Coalescer
from ezchat.entry.realtime import frames
from ezchat.entry.realtime.deadline import Deadline
from ezchat.ports.clock import Clock

Deliver = Callable[[frozenset[str], bytes], object]


class ReceiptWindow:
    def __init__(self, clock: Clock, *, window_s: float, deliver: Deliver) -> None:
        self._clock = clock
        self._deliver = deliver
        self._held: Coalescer[tuple[str, str], ReceiptMoved] = Coalescer(window_s=window_s)
        self._deadline = Deadline(clock, next_due=self._held.next_due, fire=self._flush)

    def offer(self, event: ReceiptMoved) -> None:
        key = (event.conversation_id, event.user_id)
        if self._held.offer(key, event, now=self._clock.monotonic()):
            self._deliver(event.recipients, frames.receipt(event))
        else:
            self._deadline.arm()

    def membership_changed(self, event: MemberRemoved | ConversationDeleted) -> None:
        if isinstance(event, ConversationDeleted):
            gone = event.conversation.id
            self._held.revise(lambda key, e: None if key[0] == gone else e)
            return
        cid, removed = event.conversation_id, event.user_id
        self._held.revise(
            lambda key, e: replace(e, recipients=e.recipients - {removed}) if key[0] == cid else e
        )

    def _flush(self, now: float) -> None:
        for _, event in self._held.due(now=now):
            self._deliver(event.recipients, frames.receipt(event))

    def cancel(self) -> None:
        self._deadline.cancel()
