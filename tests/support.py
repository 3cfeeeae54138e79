"""Test helpers: a controllable clock, a recording bus, and a world of services on memory."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from ezchat.adapters.memory import InProcessEventBus, memory_stores
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.config import Config
from ezchat.domain.events import Event
from ezchat.domain.model import User
from ezchat.entry.app import EzChatApp, make_app

T = TypeVar("T")

# Real scrypt at a tiny cost: tests stay fast and still run the real code.
FAST_HASH_N = 16


class FakeClock:
    """Time that moves only when a test says so; timers fire as it passes them, in order."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
        self._mono = 1000.0
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def call_later(self, delay_s: float, callback) -> _FakeTimer:
        timer = _FakeTimer(callback)
        heapq.heappush(self._timers, (self._mono + max(0.0, delay_s), next(self._order), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time on, running every timer that falls due on the way, at its own time."""
        target = self._mono + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, timer = heapq.heappop(self._timers)
            self._step(due - self._mono)
            timer.fire()
        self._step(target - self._mono)

    def _step(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


class _FakeTimer:
    def __init__(self, callback) -> None:
        self._callback = callback

    def cancel(self) -> None:
        self._callback = None

    def fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()


@dataclass
class Recorder:
    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def clear(self) -> None:
        self.events.clear()


def present(value: T | None) -> T:
    """``value``, which the test expects to be there."""
    assert value is not None
    return value


def test_config(tmp_path, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "data_dir": str(tmp_path),
        "secret_key": "test-secret",
        "password_hash_n": FAST_HASH_N,
        # Every e2e client registers from 127.0.0.1; the limit has tests of its own.
        "register_max_per_address": 10_000,
        # The tests' webhook receivers and push services listen on 127.0.0.1; the address
        # guard has tests of its own, with this off.
        "outbound_allow_private": True,
    }
    values.update(overrides)
    return Config(**values)


class World:
    """The real services on the memory adapters, with a fake clock and an event recorder."""

    def __init__(self, tmp_path, stores=None, **overrides) -> None:
        self.clock = FakeClock()
        self.bus = InProcessEventBus()
        self.events = Recorder()
        self.bus.subscribe(self.events)
        self.app: EzChatApp = make_app(
            test_config(tmp_path, **overrides),
            stores=stores or memory_stores(),
            bus=self.bus,
            clock=self.clock,
            hasher=ScryptPasswordHasher(n=FAST_HASH_N),
        )
        s = self.app.services
        self.auth, self.users, self.contacts = s.auth, s.users, s.contacts
        self.conversations, self.messages = s.conversations, s.messages
        self.typing = s.typing
        self.members = s.members

    async def user(self, name: str) -> User:
        user, _ = await self.auth.register(name, "password-" + name)
        self.clock.advance(1)
        return user


def e2e_examples(max_examples: int) -> settings:
    """Hypothesis settings of the property tests that drive a real server: derandomized (CI
    runs what ran here), no example database, and one server shared by every example."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
