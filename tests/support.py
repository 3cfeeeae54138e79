"""Test helpers: a controllable clock, a recording bus, and a world of services on memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ezchat.adapters.memory import InProcessEventBus, memory_stores
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.config import Config
from ezchat.domain.events import Event
from ezchat.domain.model import User
from ezchat.entry.app import EzChatApp, make_app

# Real scrypt at a tiny cost: tests stay fast and still run the real code.
FAST_HASH_N = 16


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


@dataclass
class Recorder:
    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def clear(self) -> None:
        self.events.clear()


def test_config(tmp_path, **overrides) -> Config:
    values = {
        "data_dir": str(tmp_path),
        "secret_key": "test-secret",
        "password_hash_n": FAST_HASH_N,
        # Every e2e client registers from 127.0.0.1; the limit has tests of its own.
        "register_max_per_address": 10_000,
    }
    values.update(overrides)
    return Config(**values)


class World:
    """The real services on the memory adapters, with a fake clock and an event recorder."""

    def __init__(self, tmp_path, **overrides) -> None:
        self.clock = FakeClock()
        self.bus = InProcessEventBus()
        self.events = Recorder()
        self.bus.subscribe(self.events)
        self.app: EzChatApp = make_app(
            test_config(tmp_path, **overrides),
            stores=memory_stores(),
            bus=self.bus,
            clock=self.clock,
            hasher=ScryptPasswordHasher(n=FAST_HASH_N),
        )
        s = self.app.services
        self.auth, self.users, self.contacts = s.auth, s.users, s.contacts
        self.conversations, self.messages = s.conversations, s.messages
        self.typing = s.typing

    async def user(self, name: str) -> User:
        user, _ = await self.auth.register(name, "password-" + name)
        self.clock.advance(1)
        return user
