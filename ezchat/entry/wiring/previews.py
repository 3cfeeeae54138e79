"""The link previews' parts: the service and the guarded client its previewer reads pages with."""

from __future__ import annotations

from cachetools import TTLCache

from ezchat.adapters.outbound.client import OutboundHttp
from ezchat.adapters.outbound.previews import MAX_BYTES, HttpLinkPreviewer
from ezchat.config.settings import Config
from ezchat.ports.bus import EventBus
from ezchat.ports.storage import Stores
from ezchat.services.previews import PreviewService

CACHE_SIZE = 10_000  # URLs whose preview (or lack of one) each process keeps


def build_previews(config: Config, *, stores: Stores, bus: EventBus) -> PreviewService | None:
    """None when ``LINK_PREVIEWS`` is off."""
    if not config.link_previews:
        return None
    http = OutboundHttp(
        allow_private=config.outbound_allow_private, max_answer_bytes=MAX_BYTES, per_target=2
    )
    return PreviewService(
        previewer=HttpLinkPreviewer(http),
        messages=stores.messages,
        conversations=stores.conversations,
        bus=bus,
        cache=TTLCache(CACHE_SIZE, config.link_preview_ttl_s),
    )
