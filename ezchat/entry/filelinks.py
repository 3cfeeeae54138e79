"""Uploaded files' links signed for the one who reads them. A message's JSON is made once and
shared by every reader (memoised by id and rev; one frame per event): it carries the files'
plain paths (``"url":"/api/files/ID"``), and each answer or frame going to one user gets them
signed for that user here, on the way out. Only text that names a file is touched; what user
input can put in a JSON string never looks like the ``"url":"/api/files/`` this looks for
(a quote inside a string is always escaped)."""

from __future__ import annotations

import re

from ezchat.domain.files import FileLinks
from ezchat.ports.clock import Clock

MARK = '"url":"/api/files/'
MARK_BYTES = MARK.encode()
_PATH = re.compile(r'"(url|thumbnail_url)":"/api/files/([0-9a-f]{32})(/thumbnail)?"')


class LinkSigner:
    def __init__(self, links: FileLinks, clock: Clock) -> None:
        self._links = links
        self._clock = clock

    def text(self, text: str, user_id: str) -> str:
        if MARK not in text:
            return text
        now = self._clock.now().timestamp()

        def sign(m: re.Match[str]) -> str:
            return f'{m.group(0)[:-1]}?{self._links.query(m.group(2), user_id, now)}"'

        return _PATH.sub(sign, text)

    def frame(self, payload: bytes, user_id: str) -> bytes:
        if MARK_BYTES not in payload:
            return payload
        return self.text(payload.decode(), user_id).encode()
