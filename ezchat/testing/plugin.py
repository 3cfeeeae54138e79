"""The pytest plugin (entry point ``pytest11``: loaded wherever ezchat is installed):

    def test_my_app_talks_to_ezchat(ezchat_server):
        user, token = ezchat_server.make_user("alice")
        ...  # ezchat_server.url, ezchat_server.ws_url, ezchat_server.clock.advance(60)

``ezchat_server`` is a fresh server per test on a thread of its own (``serve_in_thread``), so
it serves synchronous tests, pytest-asyncio's and anyio's event loops, and ``asyncio.run``
alike. Settings for it: ``@pytest.mark.ezchat(registration="invite")`` on the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ezchat.testing import ThreadedServer, serve_in_thread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ezchat(**settings): settings of the ezchat_server fixture's server"
    )


@pytest.fixture
def ezchat_server(request: pytest.FixtureRequest) -> Iterator[ThreadedServer]:
    marker = request.node.get_closest_marker("ezchat")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    with serve_in_thread(**settings) as server:
        yield server
