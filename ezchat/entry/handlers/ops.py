"""Operations endpoints: health, Prometheus metrics, and the system report (DEBUG only)."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import psutil
from prometheus_client import CONTENT_TYPE_LATEST

from ezchat.domain.errors import NotFound, StorageUnavailable
from ezchat.entry.handlers.base import ApiHandler

log = logging.getLogger(__name__)
GB = 1024**3


class HealthHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        checks = {"storage": "ok"}
        try:
            await self.services.stores.ping()
        except StorageUnavailable as exc:
            log.warning("health: storage unavailable: %s", exc)
            checks["storage"] = "unavailable"
        checks["broker"] = await self.services.bus.health()
        ok = all(v in ("ok", "disabled") for v in checks.values())
        # Where rate and login limits count: every process (Redis), or this one; not a fault.
        checks["limits"] = self.services.rate_limits.scope()
        self.reply({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)


class MetricsHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(self.services.metrics.render())


def system_report(data_dir: str) -> dict[str, Any]:
    """Everything psutil reads, gathered on a worker thread: none of it may block the loop.
    cpu_percent(interval=None) compares with the previous call and never sleeps."""
    vm = psutil.virtual_memory()
    path = data_dir if os.path.isdir(data_dir) else "/"
    disk = psutil.disk_usage(path)
    proc = psutil.Process()
    with proc.oneshot():
        rss = proc.memory_info().rss
        threads = proc.num_threads()
        try:
            connections = len(proc.net_connections(kind="inet"))
        except psutil.Error:
            connections = -1
    return {
        "system": {
            "cpu_percent": psutil.cpu_percent(interval=None),
            "memory_percent": vm.percent,
            "memory_used_gb": round(vm.used / GB, 2),
            "memory_total_gb": round(vm.total / GB, 2),
            "disk_percent": disk.percent,
            "disk_free_gb": round(disk.free / GB, 2),
            "disk_total_gb": round(disk.total / GB, 2),
            "platform": platform.platform(),
            "python_version": platform.python_version(),
            "uptime_seconds": round(time.time() - psutil.boot_time(), 1),
        },
        "process": {
            "memory_mb": round(rss / 2**20, 1),
            "connections": connections,
            "threads": threads,
            "pid": proc.pid,
        },
    }


class SystemHandler(ApiHandler):
    async def prepare(self) -> None:
        if not self.services.config.debug:
            raise NotFound(f"no route for {self.request.path}")
        await super().prepare()

    async def get(self) -> None:
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(None, system_report, self.services.config.data_dir)
        report["timestamp"] = datetime.now(UTC).isoformat()
        report["ezchat"] = {
            **self.services.snapshot(),
            "uptime_seconds": round(time.time() - self.services.metrics.started, 1),
            "event_loop": type(loop).__module__.split(".")[0],
        }
        self.reply(report)
