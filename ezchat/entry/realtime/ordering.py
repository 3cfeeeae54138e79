"""``message.new`` in seq order per conversation, whatever order the events arrive in (several
processes through Redis, or sends overtaking one another): one ahead of a gap waits for it, at
most the hold time, then goes anyway."""

from __future__ import annotations

from collections.abc import Callable

from ezchat.domain.events import MessagePosted
from ezchat.domain.realtime import SeqOrderer
from ezchat.entry.realtime.deadline import Deadline
from ezchat.ports.clock import Clock

Deliver = Callable[[frozenset[str], bytes], object]


class MessageOrder:
    def __init__(
        self,
        clock: Clock,
        *,
        hold_s: float,
        deliver: Deliver,
        encode: Callable[[MessagePosted], bytes | None],
    ) -> None:
        self._clock = clock
        self._encode = encode
        self._deliver = deliver
        self._orderer: SeqOrderer[tuple[frozenset[str], bytes]] = SeqOrderer(hold_s=hold_s)
        self._deadline = Deadline(clock, next_due=self._orderer.next_due, fire=self._flush)

    def offer(self, event: MessagePosted) -> None:
        m = event.message
        item = (event.recipients, self._encode(event) or b"")
        for recipients, payload in self._orderer.offer(
            m.conversation_id, m.seq, item, now=self._clock.monotonic()
        ):
            self._deliver(recipients, payload)
        self._deadline.arm()

    def _flush(self, now: float) -> None:
        """A gap did not fill in time: deliver what waited behind it, in order."""
        for recipients, payload in self._orderer.due(now=now):
            self._deliver(recipients, payload)

    def forget(self, conversation_id: str) -> None:
        self._orderer.forget(conversation_id)

    def cancel(self) -> None:
        self._deadline.cancel()
