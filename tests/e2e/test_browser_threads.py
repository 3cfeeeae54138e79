"""Threads in the web client, in two real browsers at once (one at phone width): a thread
started from a message, a reply that others see arrive live (the chip under the root, the
panel, the followed threads list with its unread count), a pasted 4,000-character word that
widens nothing, and a reload that keeps what the root shows."""

from __future__ import annotations

import playwright.sync_api as playwright
import pytest

from tests.e2e.processes import ServerProcess, new_group, post, register
from tests.e2e.test_browser import WAIT_MS, browser  # noqa: F401 - the fixture
from tests.e2e.test_browser_daily import (
    DESKTOP,
    PHONE,
    item_of,
    log_in,
    messages,
    nothing_wider_than_the_window,
)

__all__ = ["browser"]


@pytest.fixture
def server(tmp_path):
    s = ServerProcess(tmp_path, MESSAGE_RATE_PER_SEC="1000", MESSAGE_BURST="1000")
    s.wait_ready()
    yield s
    s.stop()


def ann_and_ben_in_team(browser, base: str, *texts: str):
    """Ann (desktop) and Ben (phone) in the group "team", Ann having said ``texts``, both
    logged in with it open; and the page errors of both, collected."""
    _, ta = register(base, "ann")
    ben, _ = register(base, "ben")
    cid = new_group(base, ta, ben, name="team")
    for i, text in enumerate(texts):
        post(base, ta, cid, f"m{i}", text)
    errors: list[str] = []
    ann = browser.new_context(viewport=DESKTOP).new_page()
    bens = browser.new_context(viewport=PHONE).new_page()
    for page, name in ((ann, "ann"), (bens, "ben")):
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, base, name)
        item_of(page, "team").click()
    return ann, bens, errors


def test_a_thread_is_started_followed_and_read_in_two_browsers(browser, server):  # noqa: F811
    base = server.base
    ann, bens, errors = ann_and_ben_in_team(browser, base, "who brings the cake?")

    # Ben starts a thread from the message, with a word no window is wide enough for.
    root = messages(bens).filter(has_text="who brings the cake?")
    root.get_by_test_id("thread-action").click()
    panel = bens.get_by_test_id("thread-panel")
    playwright.expect(panel).to_be_visible(timeout=WAIT_MS)
    playwright.expect(panel.get_by_test_id("message")).to_have_count(1)
    long_word = "cake" * 1000
    bens.get_by_test_id("thread-input").fill(long_word)
    bens.get_by_test_id("thread-send").click()
    playwright.expect(panel.get_by_test_id("message")).to_have_count(2, timeout=WAIT_MS)
    playwright.expect(panel.get_by_test_id("thread-follow")).to_have_text("Unfollow")
    nothing_wider_than_the_window(bens)

    # Ann hears of it live: the chip under her message, and her followed threads.
    chip = messages(ann).filter(has_text="who brings the cake?").get_by_test_id("thread-open")
    playwright.expect(chip).to_have_text("💬 1 reply", timeout=WAIT_MS)
    ann.locator("#threads summary").click()
    followed = ann.get_by_test_id("followed-thread")
    playwright.expect(followed).to_have_count(1, timeout=WAIT_MS)
    playwright.expect(followed.get_by_test_id("thread-unread")).to_have_text("1")
    followed.click()
    ann_panel = ann.get_by_test_id("thread-panel")
    playwright.expect(ann_panel.get_by_test_id("message")).to_have_count(2, timeout=WAIT_MS)
    playwright.expect(followed.get_by_test_id("thread-unread")).to_have_count(0, timeout=WAIT_MS)
    nothing_wider_than_the_window(ann)

    # Her answer reaches Ben's open panel, and the chip counts it.
    ann.get_by_test_id("thread-input").fill("I will")
    ann.get_by_test_id("thread-input").press("Enter")
    playwright.expect(panel.get_by_test_id("message").filter(has_text="I will")).to_be_visible(
        timeout=WAIT_MS
    )
    playwright.expect(chip).to_have_text("💬 2 replies", timeout=WAIT_MS)

    # Closing the panel leaves the conversation where it was (on the phone, one screen at a time).
    bens.get_by_test_id("thread-close").click()
    playwright.expect(panel).to_be_hidden()
    playwright.expect(bens.locator("#message-list li[data-seq='1']")).to_be_visible()

    # A reload shows what the root holds, from the history alone.
    ann.reload()
    playwright.expect(ann.get_by_test_id("connection-state")).to_have_text(
        "online", timeout=WAIT_MS
    )
    again = messages(ann).filter(has_text="who brings the cake?").get_by_test_id("thread-open")
    playwright.expect(again).to_have_text("💬 2 replies", timeout=WAIT_MS)
    assert errors == []


def test_pins_are_made_seen_live_and_opened_from_the_header(browser, server):  # noqa: F811
    base = server.base
    ann, bens, errors = ann_and_ben_in_team(browser, base, "the plan", "small talk")
    plan = lambda page: page.locator("#message-list li[data-seq='1']")  # noqa: E731
    # Ben is no admin: no pin action for him, until the group lets every member pin.
    playwright.expect(plan(bens)).to_be_visible(timeout=WAIT_MS)
    playwright.expect(plan(bens).get_by_test_id("pin-action")).to_have_count(0)
    plan(ann).get_by_test_id("pin-action").click()
    playwright.expect(plan(bens).get_by_test_id("pinned-mark")).to_be_visible(timeout=WAIT_MS)
    opener = bens.get_by_test_id("pins-open")
    playwright.expect(opener).to_have_text("📌 1", timeout=WAIT_MS)
    opener.click()
    pinned = bens.get_by_test_id("pinned-message")
    playwright.expect(pinned).to_have_text("the plan", timeout=WAIT_MS)
    nothing_wider_than_the_window(bens)
    ann.locator("#members-open").click()
    ann.get_by_test_id("members-can-pin").check()
    second = bens.locator("#message-list li[data-seq='2']")
    playwright.expect(second.get_by_test_id("pin-action")).to_be_visible(timeout=WAIT_MS)
    second.get_by_test_id("pin-action").click()
    playwright.expect(ann.get_by_test_id("pins-open")).to_have_text("📌 2", timeout=WAIT_MS)
    playwright.expect(pinned).to_have_count(2, timeout=WAIT_MS)  # his open list follows
    plan(ann).get_by_test_id("unpin-action").click()
    playwright.expect(opener).to_have_text("📌 1", timeout=WAIT_MS)
    playwright.expect(plan(bens).get_by_test_id("pinned-mark")).to_have_count(0)
    assert errors == []


def test_a_message_is_scheduled_listed_and_cancelled(browser, server):  # noqa: F811
    base = server.base
    _, ta = register(base, "ann")
    ben, _ = register(base, "ben")
    new_group(base, ta, ben, name="team")
    errors: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "ann")
    item_of(page, "team").click()
    page.get_by_test_id("schedule-button").click()
    playwright.expect(page.get_by_test_id("schedule-at")).to_be_visible()
    page.get_by_test_id("message-input").fill("see you tomorrow")
    page.get_by_test_id("message-send").click()
    playwright.expect(page.get_by_test_id("schedule-note")).to_contain_text(
        "Scheduled for", timeout=WAIT_MS
    )
    playwright.expect(messages(page)).to_have_count(0)  # not sent now
    nothing_wider_than_the_window(page)
    page.get_by_test_id("back").click()
    page.locator("#scheduled summary").click()
    listed = page.get_by_test_id("scheduled-item")
    playwright.expect(listed).to_have_count(1, timeout=WAIT_MS)
    playwright.expect(listed).to_contain_text("see you tomorrow")
    listed.get_by_test_id("scheduled-cancel").click()
    playwright.expect(listed).to_have_count(0, timeout=WAIT_MS)
    assert errors == []


def test_a_link_preview_appears_under_its_message(browser, server):  # noqa: F811
    from tests.unit.test_link_previews import Pages

    page_server = Pages("127.0.0.1")
    try:
        base = server.base
        _, ta = register(base, "ann")
        ben, _ = register(base, "ben")
        cid = new_group(base, ta, ben, name="team")
        errors: list[str] = []
        page = browser.new_context(viewport=PHONE).new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, base, "ben")
        item_of(page, "team").click()
        post(base, ta, cid, "l1", f"have a look {page_server.base}/ok")
        card = messages(page).get_by_test_id("link-preview")
        playwright.expect(card).to_contain_text("The plan & more", timeout=WAIT_MS)
        playwright.expect(card).to_contain_text("What we do next")
        assert card.get_attribute("href") == f"{page_server.base}/ok"
        assert card.get_attribute("rel") == "noopener noreferrer"
        nothing_wider_than_the_window(page)
        assert errors == []
    finally:
        page_server.stop()


def test_edit_history_and_forwarding_from_the_message(browser, server):  # noqa: F811
    base = server.base
    ann, ta = register(base, "ann")
    ben, tb = register(base, "ben")
    team = new_group(base, ta, ben, name="team")
    other = new_group(base, tb, ann, name="elsewhere")
    made = post(base, ta, team, "m1", "first words")
    from tests.e2e.processes import call

    call(base, "PATCH", f"/api/conversations/{team}/messages/{made['id']}",
         {"text": "second words"}, token=ta)  # fmt: skip
    errors: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "ben")
    item_of(page, "team").click()
    message = page.locator("#message-list li[data-seq='1']")
    playwright.expect(message).to_contain_text("second words", timeout=WAIT_MS)
    message.get_by_test_id("edited-open").click()
    playwright.expect(message.get_by_test_id("versions")).to_contain_text(
        "first words", timeout=WAIT_MS
    )
    message.get_by_test_id("forward-action").click()
    playwright.expect(page.get_by_test_id("forward-panel")).to_be_visible()
    page.get_by_test_id("forward-to").select_option(other)
    page.get_by_test_id("forward-send").click()
    playwright.expect(page.get_by_test_id("forward-panel")).to_be_hidden(timeout=WAIT_MS)
    nothing_wider_than_the_window(page)
    page.get_by_test_id("back").click()
    item_of(page, "elsewhere").click()
    copy = page.locator("#message-list li[data-seq='1']")
    playwright.expect(copy).to_contain_text("second words", timeout=WAIT_MS)
    playwright.expect(copy.get_by_test_id("forwarded-mark")).to_be_visible()
    assert errors == []
