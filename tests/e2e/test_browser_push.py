"""Web Push in real browsers. Neither can reach a real push service here (no internet), so:
Debian's headless shell shows that turning notifications on registers the service worker and
reports the push service's refusal clearly; full Chromium (new headless mode, which has
notifications) receives a push through the DevTools protocol, exactly as its push service would
hand it over, and the service worker shows it."""

from __future__ import annotations

import json
import shutil

import playwright.sync_api as playwright
import pytest

from tests.e2e.processes import ServerProcess
from tests.e2e.test_browser import ARGS, CHROMIUM, WAIT_MS, browser, sign_up  # noqa: F401

FULL_CHROMIUM = shutil.which("chromium")
SHOWN = """navigator.serviceWorker.ready
  .then(r => r.getNotifications())
  .then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag})))"""


def registered_scope(page) -> str:
    """The scope of the page's active service worker, once there is one."""
    for _ in range(WAIT_MS // 100):
        scope = page.evaluate(
            "navigator.serviceWorker.getRegistration('/').then(r => r && r.active ? r.scope : '')"
        )
        if scope:
            return str(scope)
        page.wait_for_timeout(100)
    raise AssertionError("no active service worker")


def test_turning_notifications_on_registers_the_worker_and_says_why_it_failed(
    browser,  # noqa: F811
    tmp_path,
):
    server = ServerProcess(tmp_path)
    server.wait_ready()
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=server.base)
    page = context.new_page()
    sign_up(page, server.base, "alice")
    toggle = page.get_by_test_id("notifications-toggle")
    playwright.expect(toggle).to_have_text("Notify me", timeout=WAIT_MS)
    toggle.click()
    # The headless shell has no push service: the page says so instead of failing silently.
    playwright.expect(page.locator("#error")).to_contain_text("push service", timeout=WAIT_MS)
    assert registered_scope(page) == server.base + "/"
    playwright.expect(toggle).to_have_text("Notify me")
    r = page.request.get(server.base + "/sw.js")
    assert r.ok and r.headers["content-type"].startswith("text/javascript")


@pytest.fixture
def chromium_with_notifications(tmp_path):
    if FULL_CHROMIUM is None:
        pytest.fail("no chromium: `make test` installs it")
    with playwright.sync_playwright() as p:
        # A persistent profile: Chromium refuses the Push API in incognito contexts.
        context = p.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=FULL_CHROMIUM,
            args=[*ARGS, "--headless=new"],
            permissions=["notifications"],
        )
        try:
            yield context
        finally:
            context.close()


def test_the_service_worker_shows_a_pushed_notification(chromium_with_notifications, tmp_path):
    server = ServerProcess(tmp_path)
    server.wait_ready()
    context = chromium_with_notifications
    context.grant_permissions(["notifications"], origin=server.base)
    page = context.new_page()
    sign_up(page, server.base, "alice")
    page.get_by_test_id("notifications-toggle").click()  # registers the worker, then subscribes
    assert registered_scope(page) == server.base + "/"

    devtools = context.new_cdp_session(page)
    registrations: list[dict] = []
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    devtools.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"] == server.base + "/"]
    notifications: list[dict] = []
    for payload in (
        {
            "id": "n-1",
            "conversation_id": "c-direct",
            "conversation_type": "direct",
            "conversation_name": None,
            "count": 3,
            "preview": "are you there?",
            "attachments": 0,
            "sender": {"id": "u-bob", "username": "bob", "display_name": "Bob"},
        },
        {
            "id": "n-2",
            "conversation_id": "c-group",
            "conversation_type": "group",
            "conversation_name": "team",
            "count": 1,
            "preview": "",
            "attachments": 1,
            "sender": {"id": "u-carol", "username": "carol", "display_name": None},
        },
    ):
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": server.base,
                "registrationId": registration["registrationId"],
                "data": json.dumps(payload),
            },
        )
        # One at a time, each shown before the next is pushed. The first look comes a second
        # later: asking for the notifications while Chromium is still dispatching the push
        # holds its display back until the next push (seen every time when asked at once,
        # never after 100 ms or more).
        shown_so_far = len(notifications)
        page.wait_for_timeout(1000)
        for _ in range(WAIT_MS // 100):
            notifications = page.evaluate(SHOWN)
            if len(notifications) > shown_so_far:
                break
            page.wait_for_timeout(100)
    assert sorted(notifications, key=lambda n: n["tag"]) == [
        {"title": "Bob", "body": "are you there? (3 unread)", "tag": "c-direct"},
        {"title": "carol in team", "body": "sent an attachment", "tag": "c-group"},
    ]
