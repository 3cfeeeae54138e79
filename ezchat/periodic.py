"""A background task that runs one round every so often until it is closed: the search
indexer's and the revocation feed's loop, written once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ezchat.domain.errors import EzChatError


class Periodic:
    def __init__(
        self,
        round_: Callable[[], Awaitable[object]],
        *,
        every_s: float,
        name: str,
        log: logging.Logger,
    ) -> None:
        """``round_`` runs every ``every_s`` seconds; a round that fails is logged (the
        project's own errors in one line, anything else with its traceback) and the next one
        comes on time."""
        self._round = round_
        self._every_s = every_s
        self._name = name
        self._log = log
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:  # starting twice starts one task
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self._round()
            except EzChatError as exc:
                self._log.warning("%s failed a round: %s", self._name, exc)
            except Exception:
                self._log.exception("%s failed a round", self._name)
