"""The guard around every store: retries, limits, slow log, and only our own errors."""

import asyncio
import logging
from typing import cast

import pytest

from ezchat.adapters.resilience import GuardedUserStore, Policy, StoreGuard
from ezchat.domain.backoff import backoff_delay
from ezchat.domain.errors import NotFound, StorageUnavailable, TransientStorageError
from ezchat.ports.storage import UserStore

pytestmark = pytest.mark.gen_test


class Flaky:
    """A user store whose ``get`` fails ``failures`` times, then answers ``value-<key>``."""

    def __init__(self, failures: int, error: Exception | None = None):
        self.failures = failures
        self.error = error or TransientStorageError("connection reset")
        self.calls = 0
        self.active = 0
        self.peak = 0

    async def get(self, key):
        self.calls += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(0.001)
            if self.calls <= self.failures:
                raise self.error
            return f"value-{key}"
        finally:
            self.active -= 1


def fast(attempts=3, slow_s=10.0, limit=10):
    return StoreGuard(
        limit=limit,
        policy=Policy(attempts=attempts, base_delay_s=0.001, slow_s=slow_s),
        rand=lambda: 0.5,
    )


def test_backoff_is_full_jitter_doubling_and_capped():
    assert backoff_delay(attempt=1, base_s=0.05, cap_s=1, rand=0.5) == 0.05
    assert backoff_delay(attempt=3, base_s=0.05, cap_s=1, rand=1.0) == 0.4
    assert backoff_delay(attempt=10, base_s=0.05, cap_s=1, rand=1.0) == 1
    assert backoff_delay(attempt=2, base_s=0.05, cap_s=1, rand=0.0) == 0


def as_store(fake: Flaky) -> UserStore:
    """The fake where a UserStore goes: the guard calls only ``get``."""
    return cast(UserStore, fake)


async def test_transient_errors_are_retried_until_success():
    inner = Flaky(failures=2)
    store = GuardedUserStore(as_store(inner), fast(attempts=3))
    assert await store.get("k") == "value-k"  # type: ignore[comparison-overlap]
    assert inner.calls == 3


async def test_after_the_last_attempt_the_store_is_unavailable():
    inner = Flaky(failures=5)
    with pytest.raises(StorageUnavailable) as err:
        await GuardedUserStore(as_store(inner), fast(attempts=3)).get("k")
    assert inner.calls == 3 and not isinstance(err.value, TransientStorageError)


async def test_answers_are_not_retried():
    inner = Flaky(failures=1, error=NotFound("nope"))
    with pytest.raises(NotFound):
        await GuardedUserStore(as_store(inner), fast()).get("k")
    assert inner.calls == 1


async def test_a_foreign_exception_becomes_storage_unavailable():
    inner = Flaky(failures=1, error=KeyError("driver detail"))
    with pytest.raises(StorageUnavailable):
        await GuardedUserStore(as_store(inner), fast()).get("k")


async def test_concurrency_is_limited_across_the_stores_of_one_guard():
    shared = fast(limit=3)
    a, b = Flaky(failures=0), Flaky(failures=0)
    ga, gb = GuardedUserStore(as_store(a), shared), GuardedUserStore(as_store(b), shared)
    await asyncio.gather(*(ga.get(str(i)) for i in range(10)), *(gb.get(str(i)) for i in range(10)))
    assert a.peak + b.peak <= 6 and max(a.peak, b.peak) <= 3


async def test_slow_operations_are_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="ezchat.storage"):
        await GuardedUserStore(as_store(Flaky(failures=0)), fast(slow_s=0)).get("k")
    assert any("slow storage operation: users.get" in r.message for r in caplog.records)
