"""One wrapper for every store: a concurrency limit, retries with backoff on transient errors,
slow-operation logging, and no exception but the project's own leaving it.

The guarded stores are the typed forwarding bases with one change: every call runs through the
guard. So the same behaviour covers every store and every backend without being written into
each."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from ezchat.adapters.forwarding import (
    Forwarding,
    ForwardingContactStore,
    ForwardingConversationStore,
    ForwardingFileRecordStore,
    ForwardingMessageStore,
    ForwardingOutboxStore,
    ForwardingPushSubscriptionStore,
    ForwardingRevocationStore,
    ForwardingUserStore,
)
from ezchat.adapters.forwarding_apps import (
    ForwardingAuditStore,
    ForwardingIncomingHookStore,
    ForwardingInviteStore,
    ForwardingServerKeyStore,
    ForwardingWebhookStore,
)
from ezchat.adapters.forwarding_extras import (
    ForwardingPinStore,
    ForwardingReportStore,
    ForwardingScheduledStore,
    ForwardingThreadStore,
)
from ezchat.adapters.forwarding_privacy import ForwardingExportStore, ForwardingSweepStore
from ezchat.domain.backoff import backoff_delay
from ezchat.domain.errors import EzChatError, StorageUnavailable, TransientStorageError
from ezchat.ports.apps import ServerKeyStore
from ezchat.ports.audit import AuditStore
from ezchat.ports.exports import ExportStore
from ezchat.ports.files import FileRecordStore
from ezchat.ports.invites import InviteStore
from ezchat.ports.pins import PinStore
from ezchat.ports.reports import ReportStore
from ezchat.ports.scheduled import ScheduledStore
from ezchat.ports.storage import (
    ContactStore,
    ConversationStore,
    MessageStore,
    OutboxStore,
    PushSubscriptionStore,
    RevocationStore,
    UserStore,
)
from ezchat.ports.sweeps import SweepStore
from ezchat.ports.threads import ThreadStore
from ezchat.ports.webhooks import IncomingHookStore, WebhookStore

log = logging.getLogger("ezchat.storage")
T = TypeVar("T")


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


class _Guarded(Forwarding):
    """Every call of the wrapped store goes through the guard, named ``store.method``."""

    _guard: StoreGuard
    _label: str

    async def _forward(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        return await self._guard.call(f"{self._label}.{method}", call)


class GuardedUserStore(_Guarded, ForwardingUserStore):
    def __init__(self, inner: UserStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "users"


class GuardedContactStore(_Guarded, ForwardingContactStore):
    def __init__(self, inner: ContactStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "contacts"


class GuardedConversationStore(_Guarded, ForwardingConversationStore):
    def __init__(self, inner: ConversationStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "conversations"


class GuardedMessageStore(_Guarded, ForwardingMessageStore):
    def __init__(self, inner: MessageStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "messages"


class GuardedRevocationStore(_Guarded, ForwardingRevocationStore):
    def __init__(self, inner: RevocationStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "revocations"


class GuardedOutboxStore(_Guarded, ForwardingOutboxStore):
    def __init__(self, inner: OutboxStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "outbox"


class GuardedPushSubscriptionStore(_Guarded, ForwardingPushSubscriptionStore):
    def __init__(self, inner: PushSubscriptionStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "push_subscriptions"


class GuardedFileRecordStore(_Guarded, ForwardingFileRecordStore):
    def __init__(self, inner: FileRecordStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "files"


class GuardedServerKeyStore(_Guarded, ForwardingServerKeyStore):
    def __init__(self, inner: ServerKeyStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "server_keys"


class GuardedWebhookStore(_Guarded, ForwardingWebhookStore):
    def __init__(self, inner: WebhookStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "webhooks"


class GuardedIncomingHookStore(_Guarded, ForwardingIncomingHookStore):
    def __init__(self, inner: IncomingHookStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "incoming_hooks"


class GuardedThreadStore(_Guarded, ForwardingThreadStore):
    def __init__(self, inner: ThreadStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "threads"


class GuardedPinStore(_Guarded, ForwardingPinStore):
    def __init__(self, inner: PinStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "pins"


class GuardedScheduledStore(_Guarded, ForwardingScheduledStore):
    def __init__(self, inner: ScheduledStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "scheduled"


class GuardedInviteStore(_Guarded, ForwardingInviteStore):
    def __init__(self, inner: InviteStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "invites"


class GuardedAuditStore(_Guarded, ForwardingAuditStore):
    def __init__(self, inner: AuditStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "audit"


class GuardedReportStore(_Guarded, ForwardingReportStore):
    def __init__(self, inner: ReportStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "reports"


class GuardedSweepStore(_Guarded, ForwardingSweepStore):
    def __init__(self, inner: SweepStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "sweeps"


class GuardedExportStore(_Guarded, ForwardingExportStore):
    def __init__(self, inner: ExportStore, guard: StoreGuard) -> None:
        super().__init__(inner)
        self._guard, self._label = guard, "exports"
