"""Pure decisions of real-time delivery: typing throttle and event coalescing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TypingThrottle:
    """At most one ``is_typing: true`` forward per key every ``interval_s``; a ``false`` is
    forwarded only when a ``true`` went out within ``expire_s`` (clients drop it after that)."""

    def __init__(self, *, interval_s: float = 2.0, expire_s: float = 6.0) -> None:
        self._interval, self._expire = interval_s, expire_s
        self._last_true: dict[tuple[str, str], float] = {}

    def should_forward(
        self, user_id: str, conversation_id: str, is_typing: bool, *, now: float
    ) -> bool:
        key = (user_id, conversation_id)
        last = self._last_true.get(key)
        if len(self._last_true) > 10_000:
            self._prune(now)
        if is_typing:
            if last is not None and now - last < self._interval:
                return False
            self._last_true[key] = now
            return True
        self._last_true.pop(key, None)
        return last is not None and now - last < self._expire

    def active(self, user_id: str, *, now: float) -> list[str]:
        """Conversations where ``user_id`` is shown typing; forgets them."""
        keys = [k for k, t in self._last_true.items() if k[0] == user_id and now - t < self._expire]
        for k in [k for k in self._last_true if k[0] == user_id]:
            del self._last_true[k]
        return [k[1] for k in keys]

    def _prune(self, now: float) -> None:
        for k in [k for k, t in self._last_true.items() if now - t >= self._expire]:
            del self._last_true[k]


class Coalescer(Generic[K, V]):
    """At most one value per key per ``window_s``: the first goes at once, later ones within
    the window wait, and only the newest of them goes when the window ends."""

    def __init__(self, *, window_s: float) -> None:
        self._window = window_s
        self._sent_at: dict[K, float] = {}
        self._pending: dict[K, V] = {}

    def offer(self, key: K, value: V, *, now: float) -> bool:
        """True: send ``value`` now. False: it is kept (replacing any older pending one)."""
        sent = self._sent_at.get(key)
        if sent is None or now - sent >= self._window:
            self._sent_at[key] = now
            self._pending.pop(key, None)
            return True
        self._pending[key] = value
        return False

    def due(self, *, now: float) -> list[tuple[K, V]]:
        """Pending values whose window has ended; they count as sent now."""
        out = []
        for key in list(self._pending):
            if now - self._sent_at[key] >= self._window:
                out.append((key, self._pending.pop(key)))
                self._sent_at[key] = now
        for key in [k for k, t in self._sent_at.items() if now - t >= self._window]:
            if key not in self._pending:
                del self._sent_at[key]
        return out

    def next_due(self) -> float | None:
        """When the earliest pending value falls due, or None when nothing waits."""
        times = [self._sent_at[k] + self._window for k in self._pending]
        return min(times) if times else None

    def revise(self, fn: Callable[[K, V], V | None]) -> None:
        """Replace each pending value with ``fn(key, value)``; None drops it."""
        for key, value in list(self._pending.items()):
            new = fn(key, value)
            if new is None:
                del self._pending[key]
            else:
                self._pending[key] = new


class SeqOrderer(Generic[V]):
    """Puts each conversation's messages back in seq order before delivery.

    The first message seen of a conversation sets where it starts. A message right after the
    last delivered one goes at once, with any held ones it unblocks; one further ahead waits,
    at most ``hold_s``: a message that never comes (lost while the broker was down) must not
    stall the conversation. At most ``max_conversations`` are tracked, the least recent out."""

    def __init__(self, *, hold_s: float, max_conversations: int = 100_000) -> None:
        self._hold = hold_s
        self._max = max_conversations
        self._next: OrderedDict[str, int] = OrderedDict()  # conversation -> seq expected next
        self._held: dict[str, dict[int, tuple[float, V]]] = {}

    def offer(self, conversation_id: str, seq: int, item: V, *, now: float) -> list[V]:
        """What may be delivered now, in order."""
        expected = self._next.get(conversation_id)
        if expected is None or seq < expected:
            if expected is None:
                self._track(conversation_id, seq + 1)
            return [item]
        self._next.move_to_end(conversation_id)
        if seq > expected:
            self._held.setdefault(conversation_id, {})[seq] = (now, item)
            return []
        out = [item]
        expected = seq + 1
        held = self._held.get(conversation_id, {})
        while expected in held:
            out.append(held.pop(expected)[1])
            expected += 1
        if not held:
            self._held.pop(conversation_id, None)
        self._next[conversation_id] = expected
        return out

    def forget(self, conversation_id: str) -> None:
        """Stop tracking a conversation (its events stop coming): when they come again, the
        first one seen sets the start, instead of waiting for the ones missed meanwhile."""
        self._next.pop(conversation_id, None)
        self._held.pop(conversation_id, None)

    def due(self, *, now: float) -> list[V]:
        """Held messages whose wait is over, with those after them, in order."""
        out: list[V] = []
        for conversation_id in list(self._held):
            held = self._held[conversation_id]
            if min(t for t, _ in held.values()) + self._hold > now:
                continue
            for seq in sorted(held):
                out.append(held[seq][1])
                self._next[conversation_id] = seq + 1
            del self._held[conversation_id]
        return out

    def next_due(self) -> float | None:
        times = [t for held in self._held.values() for t, _ in held.values()]
        return min(times) + self._hold if times else None

    def _track(self, conversation_id: str, expected: int) -> None:
        self._next[conversation_id] = expected
        while len(self._next) > self._max:
            old, _ = self._next.popitem(last=False)
            self._held.pop(old, None)
