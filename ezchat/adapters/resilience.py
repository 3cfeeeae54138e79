"""One wrapper for every store: a concurrency limit, retries with backoff on transient errors,
slow-operation logging, and no exception but the project's own leaving it.

It implements whatever port it wraps by forwarding each async method, so the same behaviour
covers every store and every backend without being written into each."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ezchat.domain.errors import EzChatError, StorageUnavailable, TransientStorageError

log = logging.getLogger("ezchat.storage")
T = TypeVar("T")


def backoff_delay(*, attempt: int, base_s: float, cap_s: float, rand: float) -> float:
    """Full jitter: a random delay up to base * 2^attempt, capped. ``rand`` is in [0, 1)."""
    return float(min(cap_s, base_s * (2**attempt)) * rand)


@dataclass(frozen=True)
class Policy:
    attempts: int = 3
    base_delay_s: float = 0.05
    max_delay_s: float = 1.0
    slow_s: float = 0.1


class StoreGuard:
    """Shared by the wrappers of one backend: one semaphore for all of its stores."""

    def __init__(
        self,
        *,
        limit: int,
        policy: Policy,
        on_call: Callable[[str, float, bool], None] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self.policy = policy
        self._on_call = on_call
        self._rand = rand

    async def call(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        policy = self.policy
        attempt = 0
        while True:
            started = time.perf_counter()
            ok = False
            try:
                async with self._semaphore:
                    result = await fn()
                ok = True
                return result
            except TransientStorageError as exc:
                attempt += 1
                if attempt >= policy.attempts:
                    log.error("%s failed after %d attempts: %s", name, attempt, exc)
                    raise StorageUnavailable(f"storage unavailable: {exc}") from exc
                delay = backoff_delay(
                    attempt=attempt,
                    base_s=policy.base_delay_s,
                    cap_s=policy.max_delay_s,
                    rand=self._rand(),
                )
                log.warning("%s: %s; retry %d in %.3f s", name, exc, attempt, delay)
                await asyncio.sleep(delay)
            except EzChatError:
                ok = True  # an answer (not found, conflict...), not a fault of the store
                raise
            except Exception as exc:  # an adapter let a driver error through: still ours here
                log.exception("%s failed", name)
                raise StorageUnavailable(f"storage error: {type(exc).__name__}") from exc
            finally:
                elapsed = time.perf_counter() - started
                if elapsed > policy.slow_s:
                    log.warning("slow storage operation: %s took %.1f ms", name, elapsed * 1000)
                if self._on_call is not None:
                    self._on_call(name, elapsed, ok)


class Guarded:
    """Wraps any store: each of its async methods goes through the guard."""

    def __init__(self, inner: Any, guard: StoreGuard, name: str) -> None:
        self._inner = inner
        self._guard = guard
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._inner, attr)
        if not asyncio.iscoroutinefunction(target):
            return target
        label = f"{self._name}.{attr}"

        async def guarded(*args: Any, **kwargs: Any) -> Any:
            return await self._guard.call(label, lambda: target(*args, **kwargs))

        guarded.__name__ = attr
        setattr(self, attr, guarded)  # built once per method
        return guarded


def guard(store: T, guard_: StoreGuard, name: str) -> T:
    return cast(T, Guarded(store, guard_, name))
