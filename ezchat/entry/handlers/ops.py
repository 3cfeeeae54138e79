"""Operations endpoints."""

from __future__ import annotations

import logging

from ezchat.domain.errors import StorageUnavailable
from ezchat.entry.handlers.base import ApiHandler

log = logging.getLogger(__name__)


class HealthHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        checks = {"storage": "ok", "broker": "disabled"}
        try:
            await self.services.stores.ping()
        except StorageUnavailable as exc:
            log.warning("health: storage unavailable: %s", exc)
            checks["storage"] = "unavailable"
        ok = all(v in ("ok", "disabled") for v in checks.values())
        self.reply({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)
