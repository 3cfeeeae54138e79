"""Link previews: after a message with a link is sent (or edited to a new one), its page is
read off the send's path and the preview written onto the message, with a ``message.updated``.

Previews are cached per URL for ``LINK_PREVIEW_TTL_S`` (in each process; a failure is cached
too, so a dead link is not fetched again for every message naming it), one fetch per URL at a
time, at most ``MAX_FETCHES`` at once and ``MAX_QUEUED`` waiting (more are dropped: a message
without a preview is still a message). The write is made under the message's rev like any
change, and not made when the message was deleted or edited to another link meanwhile."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import MutableMapping
from dataclasses import replace

from ezchat.domain import previews
from ezchat.domain.errors import EzChatError, StaleWrite
from ezchat.domain.events import MessageChanged
from ezchat.domain.messages import LinkPreview, Message
from ezchat.ports.bus import EventBus
from ezchat.ports.previews import LinkPreviewer
from ezchat.ports.storage import ConversationStore, MessageStore

log = logging.getLogger(__name__)

MAX_FETCHES = 16
MAX_QUEUED = 256
MAX_WRITE_ATTEMPTS = 20


class PreviewService:
    def __init__(
        self,
        *,
        previewer: LinkPreviewer,
        messages: MessageStore,
        conversations: ConversationStore,
        bus: EventBus,
        cache: MutableMapping[str, LinkPreview | None],
    ) -> None:
        """``cache``: previews by URL, forgetting them after LINK_PREVIEW_TTL_S (a TTL map
        the wiring makes)."""
        self._previewer = previewer
        self._messages = messages
        self._conversations = conversations
        self._bus = bus
        self._cache = cache
        self._fetching: dict[str, asyncio.Future[LinkPreview | None]] = {}
        self._slots = asyncio.Semaphore(MAX_FETCHES)
        self._tasks: set[asyncio.Task[None]] = set()
        self.dropped = 0

    def posted(self, message: Message) -> None:
        """A message was sent or edited: preview its first link, in the background."""
        url = previews.first_url(message.text)
        if url is None or message.deleted:
            return
        if len(self._tasks) >= MAX_QUEUED:
            self.dropped += 1
            return
        task = asyncio.get_running_loop().create_task(
            self._run(message, url), name=f"preview-{message.id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: Message, url: str) -> None:
        try:
            found = await self._preview(url)
            if found is not None:
                await self._write(message, url, found)
        except EzChatError as exc:
            log.warning("preview of message %s not written: %s", message.id, exc.message)
        except Exception:
            log.exception("preview of message %s failed", message.id)

    async def _preview(self, url: str) -> LinkPreview | None:
        if url in self._cache:
            return self._cache[url]
        waiting = self._fetching.get(url)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[LinkPreview | None] = asyncio.get_running_loop().create_future()
        self._fetching[url] = future
        try:
            async with self._slots:
                found = await self._previewer.preview(url)
            self._cache[url] = found
            future.set_result(found)
            return found
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters get it, nobody else needs to
            raise
        finally:
            del self._fetching[url]

    async def _write(self, message: Message, url: str, found: LinkPreview) -> None:
        cid, mid = message.conversation_id, message.id
        for attempt in range(MAX_WRITE_ATTEMPTS):
            current = await self._messages.get(cid, mid)
            if (
                current is None
                or current.deleted
                or previews.first_url(current.text) != url
                or current.previews == (found,)
            ):
                return
            try:
                stored = await self._messages.replace(
                    replace(current, previews=(found,)), expected_rev=current.rev
                )
            except StaleWrite:
                await asyncio.sleep(min(0.05, 0.001 * 2**attempt) * random.random())
                continue
            conv = await self._conversations.get(cid)
            if conv is not None:
                await self._bus.publish(
                    MessageChanged(recipients=conv.member_ids, message=stored, change="preview")
                )
            return

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._previewer.close()
