"""The port of link previews."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.messages import LinkPreview


class LinkPreviewer(Protocol):
    async def preview(self, url: str) -> LinkPreview | None:
        """What the page at ``url`` says of itself, or None (unreachable, refused by the
        address policy, too slow, too large, not HTML, nothing to show). Never raises."""

    def close(self) -> None: ...
