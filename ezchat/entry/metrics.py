"""Prometheus metrics (prometheus_client), one registry per app.

Counters the hot paths already keep (deliveries, cache hits, batches) are read at scrape time
by a collector, so delivering a message costs no metrics call. Latency histograms are observed
where the time is measured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LAG_PROBE_S = 0.1
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.started = time.time()
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "ezchat_http_request_duration_seconds",
            "HTTP request latency by route handler and status class",
            ["method", "handler", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self.storage_seconds = Histogram(
            "ezchat_storage_operation_seconds",
            "Storage operation latency, retries included",
            ["operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "ezchat_message_batch_size",
            "Messages written per group commit",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "ezchat_message_batch_seconds",
            "Time to write one group-commit batch",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.loop_lag_seconds = Histogram(
            "ezchat_event_loop_lag_seconds",
            "How late a timer due every 100 ms ran: how long the event loop was busy with other "
            "work (every client of the process waited that long)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._lag_timer: asyncio.TimerHandle | None = None
        self._lag_due = 0.0

    # -- the event loop's lag, probed while serving --------------------------------------------

    async def start(self) -> None:
        self._probe_in(asyncio.get_running_loop())

    def _probe_in(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lag_due = loop.time() + LAG_PROBE_S
        self._lag_timer = loop.call_at(self._lag_due, self._probed, loop)

    def _probed(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_lag_seconds.observe(max(0.0, loop.time() - self._lag_due))
        self._probe_in(loop)

    async def aclose(self) -> None:
        if self._lag_timer is not None:
            self._lag_timer.cancel()
            self._lag_timer = None

    def request_observer(self, method: str, handler: str, status: int) -> Any:
        """The request histogram's child for these labels, kept: ``labels()`` on every request
        cost about as much as the observation. Methods outside HTTP's usual ones count as
        ``OTHER``: a client must not grow the label set at will."""
        if method not in _METHODS:
            method = "OTHER"
        key = (method, handler, status // 100)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.request_seconds.labels(
                method, handler, f"{status // 100}xx"
            )
        return child

    def on_storage_call(self, name: str, seconds: float, ok: bool) -> None:
        self.storage_seconds.labels(name, "ok" if ok else "error").observe(seconds)

    def on_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def add_collector(self, read: Callable[[], dict[str, Any]]) -> None:
        self.registry.register(_Snapshot(read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Snapshot(Collector):
    """Gauges and counters read from the app's own counters at scrape time."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Any]:
        s = self._read()
        yield GaugeMetricFamily(
            "ezchat_ws_connections", "Open WebSocket connections", s["connections"]
        )
        yield GaugeMetricFamily(
            "ezchat_online_users", "Users with a connection here", s["online_users"]
        )
        yield CounterMetricFamily("ezchat_messages_sent", "Messages posted", s["messages_posted"])
        yield CounterMetricFamily(
            "ezchat_fanout_deliveries", "Frames queued to connections", s["deliveries"]
        )
        yield CounterMetricFamily(
            "ezchat_slow_clients_closed", "Connections closed as too slow", s["slow_closed"]
        )
        hits = CounterMetricFamily("ezchat_cache_hits", "Cache hits", labels=["cache"])
        misses = CounterMetricFamily("ezchat_cache_misses", "Cache misses", labels=["cache"])
        size = GaugeMetricFamily("ezchat_cache_entries", "Entries held", labels=["cache"])
        for name, c in s["caches"].items():
            hits.add_metric([name], c["hits"])
            misses.add_metric([name], c["misses"])
            size.add_metric([name], c["size"])
        yield hits
        yield misses
        yield size
        yield CounterMetricFamily(
            "ezchat_pointer_flushes", "Bulk writes of read pointers", s["pointer_flushes"]
        )
        bus = s["bus"]
        yield CounterMetricFamily(
            "ezchat_bus_events_published",
            "Events published by this process (with a broker: those that reached it)",
            bus["published"],
        )
        yield CounterMetricFamily(
            "ezchat_bus_events_received",
            "Events from other processes that this one decoded",
            bus["received"],
        )
        yield CounterMetricFamily(
            "ezchat_bus_events_relevant",
            "Events from other processes that had a recipient connected to this one",
            bus.get("relevant", 0),
        )
        yield CounterMetricFamily(
            "ezchat_bus_events_dropped",
            "Events that never left this process (broker queue overflow)",
            bus["dropped"],
        )
        yield GaugeMetricFamily(
            "ezchat_bus_channels",
            "Broker channels this process hears (one per conversation of its connected users)",
            bus.get("channels", 0),
        )
        yield CounterMetricFamily(
            "ezchat_bus_subscribe_commands",
            "Subscriptions this process asked the broker for",
            bus.get("subscribe_commands", 0),
        )
