"""The app's event webhooks: made and removed by its backend, fed with every change before the
change is acknowledged, and delivered from the store at least once.

Recording: the events published in one turn of the loop (a group-commit batch of sends, say)
are written in one ``record`` call, so that webhooks do not undo group commit. The webhooks
are read from the store at most every ``refresh_s`` (at once on this process after one is made
or removed): a webhook made on another process hears changes from within that delay.

Delivering: each process claims the heads of the pending groups, leases them, POSTs them and
writes the outcome. A delivery whose sender died is sent again when its lease runs out, with
the same event id: receivers drop ids they have seen."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, replace

from ezchat.domain import webhooks
from ezchat.domain.audit import APP
from ezchat.domain.errors import InvalidRequest, NotFound
from ezchat.domain.ids import new_id
from ezchat.domain.webhooks import Delivery, DeliveryState, Webhook, WebhookEvent
from ezchat.ports.clock import Clock
from ezchat.ports.webhooks import EventSender, WebhookStore
from ezchat.services.audit import AuditLog
from ezchat.services.push import check_endpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookPolicy:
    lease_s: float = 30.0
    max_attempts: int = 8
    retry_base_s: float = 1.0
    retry_cap_s: float = 600.0
    refresh_s: float = 1.0
    keep_s: float = 86_400.0  # delivered deliveries listed for this long
    allow_private: bool = False


class WebhookService:
    def __init__(
        self,
        *,
        store: WebhookStore,
        clock: Clock,
        policy: WebhookPolicy,
        sender: EventSender | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.policy = policy
        self.sender = sender
        self._known: list[Webhook] = []
        self._read_at = float("-inf")
        self._reading: asyncio.Future[list[Webhook]] | None = None
        self._generation = 0  # moves on when this process makes or removes a webhook
        self._queue: list[WebhookEvent] = []
        self._flushed: asyncio.Future[None] | None = None
        self.recorded = asyncio.Event()  # set when this process recorded deliveries
        self.audit: AuditLog | None = None  # where changes are written (set by the wiring)
        self.lost = 0  # events that could not be recorded (the store was out of reach)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    # -- the app's backend ------------------------------------------------------------------

    async def create(self, url: object, events: object, secret: object) -> Webhook:
        if not isinstance(url, str):
            raise InvalidRequest("url must be a string", field="url")
        # Plain http only where private addresses are allowed: the app's own network.
        p = self.policy
        check_endpoint(url, allow_private=p.allow_private, field="url", http=p.allow_private)
        if len(await self._store.all()) >= webhooks.MAX_WEBHOOKS:
            raise InvalidRequest(f"at most {webhooks.MAX_WEBHOOKS} webhooks", field="url")
        hook = Webhook(
            id=new_id(),
            url=url,
            events=webhooks.events_field(events),
            secret=webhooks.secret_field(secret),
            created_at=self._now(),
        )
        await self._store.add(hook)
        self._forget()
        if self.audit is not None:
            await self.audit.record(APP, "webhook.create", hook.id, hook.url)
        return hook

    def _forget(self) -> None:
        self._read_at = float("-inf")
        self._generation += 1

    async def all(self) -> list[Webhook]:
        return await self._store.all()

    async def remove(self, webhook_id: str) -> None:
        if not await self._store.remove(webhook_id):
            raise NotFound("no webhook with that id")
        self._forget()
        if self.audit is not None:
            await self.audit.record(APP, "webhook.remove", webhook_id)

    async def deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        if not any(w.id == webhook_id for w in await self._store.all()):
            raise NotFound("no webhook with that id")
        return await self._store.deliveries(webhook_id, limit)

    async def wants(self, event_type: str) -> bool:
        """Whether any webhook hears events of this type (as of at most ``refresh_s`` ago)."""
        return any(w.wants(event_type) for w in await self._webhooks())

    async def _webhooks(self) -> list[Webhook]:
        """The webhooks, read at most every ``refresh_s``; the sends that find the list stale
        together wait for one read."""
        if self._now() - self._read_at < self.policy.refresh_s:
            return self._known
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._reading)

    async def _read(self) -> list[Webhook]:
        try:
            now, generation = self._now(), self._generation
            found = await self._store.all()
            if generation == self._generation:  # no webhook made or removed here meanwhile
                self._known, self._read_at = found, now
            return found
        finally:
            self._reading = None

    # -- recording --------------------------------------------------------------------------

    async def record(self, events: list[WebhookEvent]) -> None:
        """Durable when this returns: with the other events of this turn of the loop."""
        if not events or not await self._webhooks():
            return
        self._queue.extend(events)
        if self._flushed is None:
            loop = asyncio.get_running_loop()
            self._flushed = loop.create_future()
            loop.call_soon(lambda: loop.create_task(self._flush()))
        await asyncio.shield(self._flushed)

    async def _flush(self) -> None:
        events, self._queue = self._queue, []
        done, self._flushed = self._flushed, None
        assert done is not None
        try:
            found = webhooks.deliveries_for(await self._webhooks(), in_order(events), self._now())
            await self._store.record(found)
        except BaseException as exc:
            self.lost += len(events)
            done.set_exception(exc)
            done.exception()  # seen: waiters that went away must not leave it unretrieved
            if not isinstance(exc, Exception):
                raise
            return
        done.set_result(None)
        if found:
            self.recorded.set()

    # -- delivering -------------------------------------------------------------------------

    async def claim(self, room: int) -> list[Delivery]:
        now = self._now()
        out: list[Delivery] = []
        for d in await self._store.claimable(now=now, limit=room):
            leased = await self._store.lease(d, until=now + self.policy.lease_s, token=new_id())
            if leased is not None:
                out.append(leased)
        return out

    async def deliver(self, delivery: Delivery) -> str:
        """Send one leased delivery and write how it went: delivered, retry, dead or lost (the
        lease ran out meanwhile and someone else has it now)."""
        assert self.sender is not None
        hook = next((w for w in await self._webhooks() if w.id == delivery.webhook_id), None)
        if hook is None:  # removed on another process since: its deliveries go with it
            return "lost"
        sent = await self.sender.send(hook, delivery)
        now = self._now()
        p = self.policy
        tried = replace(
            delivery, attempts=delivery.attempts + 1, last_status=sent.code, last_error=sent.error
        )
        if sent.ok:
            settled = replace(
                tried, state=DeliveryState.DELIVERED, last_error=None, finished_at=now
            )
            result = "delivered"
        elif sent.refused or tried.attempts >= p.max_attempts:
            settled = replace(tried, state=DeliveryState.DEAD, finished_at=now)
            result = "dead"
        else:
            wait = min(p.retry_cap_s, p.retry_base_s * 2 ** (tried.attempts - 1))
            settled = replace(tried, next_at=now + wait * (0.5 + random.random() / 2))
            result = "retry"
        if not await self._store.settle(settled):
            return "lost"
        return result

    async def prune(self) -> int:
        return await self._store.prune(before=self._now() - self.policy.keep_s)


def in_order(events: list[WebhookEvent]) -> list[WebhookEvent]:
    """The events of one turn, with each conversation's new messages in seq order (they are
    published as their sends resume, which need not be the order the store gave them) and
    everything else where it was."""
    slots: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        if e.type == "message.new":
            slots.setdefault(e.group, []).append(i)
    out = list(events)
    for places in slots.values():
        ordered = sorted((events[i] for i in places), key=lambda e: e.seq)
        for i, e in zip(places, ordered, strict=True):
            out[i] = e
    return out
