"""Where rate and failure limits are counted: this process, or every process of the deployment.

Limits are named, each with its settings given when the counter is made: token buckets (``take``:
messages a user sends) and failure windows (``retry_after``/``fail``/``succeed``: failed logins
per name and per address, registrations per address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ezchat.ports.lifecycle import Lifecycle


@dataclass(frozen=True)
class Bucket:
    rate: float  # tokens a second
    burst: float


@dataclass(frozen=True)
class Window:
    max_failures: int
    window_s: float


class RateLimits(Lifecycle, Protocol):
    async def take(self, name: str, key: str) -> float:
        """Take a token from bucket ``name`` of ``key``: 0 when allowed, else seconds to wait."""

    async def retry_after(self, name: str, key: str) -> float:
        """Seconds until ``key`` may try again under window ``name``; 0 when it may now."""

    async def fail(self, name: str, key: str) -> None:
        """Count a failure of ``key`` in window ``name``."""

    async def succeed(self, name: str, key: str) -> None:
        """Forget ``key``'s failures in window ``name``."""

    def scope(self) -> str:
        """``shared`` when counted for every process now, ``local`` when for this one."""
